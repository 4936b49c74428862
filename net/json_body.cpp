#include "net/json_body.hpp"

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <cmath>
#include <limits>

namespace comptoir::net {

namespace json = boost::json;

namespace {

/// An integer member: its value, or a reason it is not one. Integral
/// numbers too large for 64 bits read as "out of range", not "wrong type".
struct integer_member {
  std::int64_t value = 0;
  bool present = false;
  bool integral = false;
  bool in_range = false;
};

integer_member read_integer(const json::object& object, std::string_view name) {
  integer_member member;
  const auto* value = object.if_contains(name);
  if (!value)
    return member;
  member.present = true;
  if (value->is_int64()) {
    member.integral = member.in_range = true;
    member.value = value->get_int64();
  } else if (value->is_uint64()) {
    member.integral = true; // above INT64_MAX
  } else if (value->is_double()) {
    auto number = value->get_double();
    member.integral = std::isfinite(number) && std::floor(number) == number;
  }
  return member;
}

} // namespace

decoded_lines decode_lines(std::string_view body) {
  decoded_lines decoded;
  boost::system::error_code ec;
  auto document = json::parse(body, ec);
  if (ec) {
    decoded.malformed = "The body is not valid JSON.";
    return decoded;
  }
  const auto* object = document.if_object();
  const json::array* lines = nullptr;
  if (object)
    if (const auto* member = object->if_contains("lines"))
      lines = member->if_array();
  if (!lines) {
    decoded.malformed = R"(The body must be an object with an array "lines".)";
    return decoded;
  }
  for (std::size_t i = 0; i < lines->size(); ++i) {
    auto at = "lines[" + std::to_string(i) + "]";
    const auto* line = (*lines)[i].if_object();
    if (!line) {
      decoded.malformed = "Each line must be an object with product_id and quantity.";
      return decoded;
    }
    domain::basket_line parsed;
    for (auto [name, target] : {std::pair{"product_id", &parsed.product.value},
                                std::pair{"quantity", &parsed.quantity}}) {
      auto member = read_integer(*line, name);
      if (!member.present || !member.integral) {
        decoded.malformed = at + "." + name + " must be an integer.";
        return decoded;
      }
      if (!member.in_range)
        decoded.out_of_range.push_back({at + "." + name, "is out of range"});
      *target = member.value;
    }
    decoded.lines.push_back(parsed);
  }
  return decoded;
}

decoded_reorder_point decode_reorder_point(std::string_view body) {
  decoded_reorder_point decoded;
  boost::system::error_code ec;
  auto document = json::parse(body, ec);
  const auto* object = ec ? nullptr : document.if_object();
  auto member = object ? read_integer(*object, "reorder_point") : integer_member{};
  if (!member.present || !member.integral)
    decoded.malformed = R"(The body must be an object with an integer "reorder_point".)";
  else
    decoded.reorder_point = member.in_range ? member.value : -1;
  return decoded;
}

decoded_product decode_product(std::string_view body, bool as_patch) {
  decoded_product decoded;
  boost::system::error_code ec;
  auto document = json::parse(body, ec);
  const auto* object = ec ? nullptr : document.if_object();
  if (!object) {
    decoded.malformed = "The body must be a JSON object.";
    return decoded;
  }
  if (as_patch && object->contains("sku")) {
    decoded.malformed = "The SKU of a product cannot change.";
    return decoded;
  }
  struct text_field {
    const char* name;
    std::string* value;
    bool* set;
    bool required;
  };
  auto& item = decoded.item;
  auto& patch = decoded.patch;
  bool sku_set = false;
  bool price_set = false;
  std::vector<text_field> texts{
      {"name", as_patch ? &patch.name : &item.name, &patch.set_name, !as_patch},
      {"category", as_patch ? &patch.category : &item.category, &patch.set_category, !as_patch},
      {"description", as_patch ? &patch.description : &item.description, &patch.set_description,
       false},
  };
  if (!as_patch)
    texts.push_back({"sku", &item.sku, &sku_set, true});
  for (const auto& field : texts) {
    const auto* value = object->if_contains(field.name);
    if (!value) {
      if (field.required)
        decoded.missing.emplace_back(field.name);
      continue;
    }
    if (!value->is_string()) {
      decoded.malformed = std::string{field.name} + " must be a string.";
      return decoded;
    }
    *field.value = std::string{value->get_string()};
    *field.set = true;
  }
  auto price = read_integer(*object, "price_cents");
  if (price.present) {
    if (!price.integral) {
      decoded.malformed = "price_cents must be an integer.";
      return decoded;
    }
    // Out of 64-bit range reads as -1: validate_product refuses it.
    auto cents = price.in_range ? price.value : -1;
    (as_patch ? patch.price_cents : item.price_cents) = cents;
    price_set = true;
  } else if (!as_patch) {
    decoded.missing.emplace_back("price_cents");
  }
  patch.set_price = price_set;
  return decoded;
}

std::string fingerprint(std::string_view kind, std::string_view target,
                        const std::vector<domain::basket_line>& lines) {
  std::string canonical{kind};
  canonical += '\n';
  canonical += target;
  for (const auto& line : lines)
    canonical += '\n' + std::to_string(line.product.value) + 'x' + std::to_string(line.quantity);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  for (unsigned int i = 0; i < size; ++i) {
    text += hex[digest[i] >> 4];
    text += hex[digest[i] & 0xf];
  }
  return text;
}

} // namespace comptoir::net
