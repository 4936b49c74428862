#include "net/web_assets.hpp"

#include <openssl/sha.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace comptoir::net {

namespace fs = std::filesystem;

namespace {

std::string etag_of(std::string_view body) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest.data());
  constexpr std::string_view hex = "0123456789abcdef";
  std::string etag = "\"";
  for (std::size_t i = 0; i < 12; ++i) {
    etag += hex[digest[i] >> 4];
    etag += hex[digest[i] & 0xf];
  }
  return etag + "\"";
}

} // namespace

bool web_assets::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.')
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

std::string_view web_assets::content_type_of(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> types[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"},
  };
  for (auto [extension, type] : types)
    if (name.ends_with(extension))
      return type;
  return "application/octet-stream";
}

void web_assets::add(std::string_view name, std::string body) {
  web_asset asset;
  asset.etag = etag_of(body);
  asset.content_type = std::string{content_type_of(name)};
  asset.body = std::make_shared<const std::string>(std::move(body));
  files_.insert_or_assign(std::string{name}, std::move(asset));
}

web_assets web_assets::embedded() {
  web_assets assets;
  for (const auto& file : embedded_web_files())
    assets.add(file.name, std::string{file.bytes});
  return assets;
}

web_assets web_assets::from_directory(const std::string& directory) {
  web_assets assets;
  std::error_code ec;
  fs::directory_iterator entries{directory, ec};
  if (ec)
    throw std::runtime_error("web.directory " + directory + ": " + ec.message());
  for (const auto& entry : entries) {
    auto name = entry.path().filename().string();
    // symlink_status: a link is left out, wherever it points.
    if (!valid_name(name) || !fs::is_regular_file(entry.symlink_status()))
      continue;
    std::ifstream in{entry.path(), std::ios::binary};
    std::string body{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    if (!in.good() && !in.eof())
      throw std::runtime_error("web.directory: cannot read " + entry.path().string());
    assets.add(name, std::move(body));
  }
  if (!assets.find("index.html"))
    throw std::runtime_error("web.directory " + directory + " has no index.html");
  return assets;
}

const web_asset* web_assets::find(std::string_view name) const {
  auto found = files_.find(name);
  return found == files_.end() ? nullptr : &found->second;
}

} // namespace comptoir::net
