#include "domain/timestamp.hpp"

#include <charconv>
#include <cstdio>

namespace comptoir::domain {

namespace {

using namespace std::chrono;

bool read_number(std::string_view text, std::size_t pos, std::size_t width, int& out) {
  if (pos + width > text.size())
    return false;
  for (std::size_t i = pos; i < pos + width; ++i)
    if (text[i] < '0' || text[i] > '9')
      return false;
  std::from_chars(text.data() + pos, text.data() + pos + width, out);
  return true;
}

/// Milliseconds since the epoch: this covers every year a timestamp can
/// name, which system_clock's nanoseconds (1678 to 2262) do not.
using instant = sys_time<milliseconds>;

std::string format_instant(instant ms) {
  auto day = floor<days>(ms);
  year_month_day date{day};
  hh_mm_ss time{ms - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                int(time.minutes().count()), int(time.seconds().count()),
                int(time.subseconds().count()));
  return text;
}

/// An instant as text, when it falls in the years 0001 to 9999 that the
/// format can spell.
std::optional<std::string> spelled(instant when) {
  auto year_of = int(year_month_day{floor<days>(when)}.year());
  if (year_of < 1 || year_of > 9999)
    return std::nullopt;
  return format_instant(when);
}

} // namespace

std::string format_timestamp(system_clock::time_point when) {
  return format_instant(time_point_cast<milliseconds>(when));
}

std::optional<std::string> parse_timestamp(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_number(text, 0, 4, y) || text.size() < 10 || text[4] != '-' ||
      !read_number(text, 5, 2, mo) || text[7] != '-' || !read_number(text, 8, 2, d))
    return std::nullopt;
  year_month_day date{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!date.ok())
    return std::nullopt;
  instant when = sys_days{date};
  if (text.size() == 10)
    return spelled(when);
  if ((text[10] != 'T' && text[10] != 't') || !read_number(text, 11, 2, h) || text.size() < 19 ||
      text[13] != ':' || !read_number(text, 14, 2, mi) || text[16] != ':' ||
      !read_number(text, 17, 2, s) || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  when += hours{h} + minutes{mi} + seconds{s};
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    // Fractional seconds: keep milliseconds, drop the rest.
    std::size_t digits = 0;
    int millis = 0;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits)
      if (digits < 3)
        millis = millis * 10 + (text[pos] - '0');
    if (digits == 0)
      return std::nullopt;
    for (auto i = digits; i < 3; ++i)
      millis *= 10;
    when += milliseconds{millis};
  }
  if (pos == text.size())
    return std::nullopt;
  if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size())
    return spelled(when);
  int oh = 0, om = 0;
  if ((text[pos] != '+' && text[pos] != '-') || pos + 6 != text.size() ||
      !read_number(text, pos + 1, 2, oh) || text[pos + 3] != ':' ||
      !read_number(text, pos + 4, 2, om) || oh > 23 || om > 59)
    return std::nullopt;
  auto offset = hours{oh} + minutes{om};
  when += text[pos] == '+' ? -offset : offset;
  return spelled(when);
}

} // namespace comptoir::domain
