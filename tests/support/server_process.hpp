#pragma once
// Runs the real comptoir binary as a child process for the integration tests.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace comptoir::test {

/// A loopback TCP port that was free a moment ago.
std::uint16_t free_port();

/// The path of the comptoir binary under test (env COMPTOIR_BINARY).
std::string comptoir_binary();

struct run_result {
  int exit_code = -1;
  std::string output; // stdout and stderr together
};

/// Runs comptoir to completion with `args` and extra environment.
run_result run_comptoir(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env = {});

/// `comptoir serve` on a free port, in a private working directory, on the
/// database of COMPTOIR_TEST_DATABASE_URL; stopped (SIGTERM, then SIGKILL)
/// when destroyed.
class server_process {
public:
  explicit server_process(std::map<std::string, std::string> env = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  /// Sends SIGTERM and waits; the exit code, and how long the exit took.
  std::pair<int, std::chrono::milliseconds> terminate();

  /// What the server printed so far.
  std::string output() const;

private:
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string workdir_;
};

} // namespace comptoir::test
