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
/// when destroyed. Once stopped, it can be started again on the same port and
/// database, as an operator restarts a crashed node. Killed (SIGKILL) if the
/// thread that started it ends first: start nodes from the test's own thread.
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

  /// Sends SIGKILL (a crash: no shutdown code runs) and waits for the exit.
  void kill_hard();

  /// Starts the node again, with the same environment, port and working
  /// directory, once the previous process has exited; waits until it answers.
  void restart();

  /// What the server printed so far, over every start.
  std::string output() const;

private:
  void start();

  std::map<std::string, std::string> env_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string workdir_;
};

} // namespace comptoir::test
