#include "persistence/utc_timestamp.hpp"

#include <chrono>
#include <ctime>

namespace comptoir::persistence {

std::string utc_timestamp_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[sizeof "YYYY-MM-DDTHH:MM:SSZ"];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

} // namespace comptoir::persistence
