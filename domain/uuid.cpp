#include "domain/uuid.hpp"

#include <cstdio>

namespace comptoir::domain {

uuid_v7_generator::uuid_v7_generator() {
  std::random_device seed;
  random_.seed((std::uint64_t{seed()} << 32) ^ seed());
}

std::string uuid_v7_generator::next(std::chrono::system_clock::time_point now) {
  auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  if (millis > last_millis_) {
    last_millis_ = millis;
    // Start low in the counter space so a burst has room to count up.
    counter_ = static_cast<std::uint16_t>(random_() & 0x1ff);
  } else if (++counter_ > 0xfff) {
    // Counter exhausted (or the clock went back): borrow the next millisecond.
    ++last_millis_;
    counter_ = 0;
  }
  std::uint64_t high = (last_millis_ << 16) | (0x7u << 12) | counter_;
  std::uint64_t low = (random_() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0xffff),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

} // namespace comptoir::domain
