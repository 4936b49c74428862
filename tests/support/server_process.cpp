#include "support/server_process.hpp"

#include "support/http_client.hpp"
#include "support/test_database.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <netinet/in.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace comptoir::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string comptoir_binary() {
  const char* path = std::getenv("COMPTOIR_BINARY");
  if (!path || !*path)
    throw std::runtime_error("COMPTOIR_BINARY is not set: run the tests through ctest");
  return path;
}

namespace {

std::string make_workdir() {
  auto pattern = (fs::temp_directory_path() / "comptoir-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw std::runtime_error("cannot create a temporary directory");
  return pattern;
}

/// fork + exec with stdout/stderr to `log` (appended to when `append`), in
/// `workdir`, with `env` added.
pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& workdir, const std::string& log, bool append = false) {
  auto binary = comptoir_binary();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    // A test that dies without unwinding (std::terminate, a signal) takes
    // its nodes with it instead of leaving them running. The signal comes
    // when the forking thread ends: tests start nodes from their own thread.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(fd);
    if (::chdir(workdir.c_str()) != 0)
      ::_exit(127);
    for (const auto& [name, value] : env)
      ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> argv{binary.data()};
    for (const auto& arg : args)
      argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Waits for `pid` up to `limit`; -1 if it is still running then.
int wait_for_exit(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (true) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() > deadline)
      return -1;
    std::this_thread::sleep_for(10ms);
  }
}

/// The inodes of the TCP sockets listening on `port` (any address).
std::vector<std::string> listening_inodes(std::uint16_t port) {
  std::vector<std::string> inodes;
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, ":%04X", port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in{table};
    std::string line;
    std::getline(in, line); // the column names
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      std::istringstream fields{line};
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state == "0A" && local.ends_with(wanted)) // 0A: LISTEN
        inodes.push_back(inode);
    }
  }
  return inodes;
}

/// Whether process `pid` holds the socket listening on `port`: another
/// test's node on a port that was free when this one's was picked answers
/// /health/live too, while this node fails to bind and exits a moment later.
bool listens_on(pid_t pid, std::uint16_t port) {
  auto inodes = listening_inodes(port);
  if (inodes.empty())
    return false;
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator{"/proc/" + std::to_string(pid) + "/fd", ec}) {
    auto target = fs::read_symlink(fd.path(), ec).string();
    for (const auto& inode : inodes)
      if (target == "socket:[" + inode + "]")
        return true;
  }
  return false;
}

} // namespace

run_result run_comptoir(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env) {
  auto workdir = make_workdir();
  auto log = workdir + "/output.log";
  auto pid = spawn(args, env, workdir, log);
  run_result result;
  result.exit_code = wait_for_exit(pid, 60s);
  if (result.exit_code == -1) {
    ::kill(pid, SIGKILL);
    wait_for_exit(pid, 10s);
  }
  result.output = read_file(log);
  fs::remove_all(workdir);
  return result;
}

server_process::server_process(std::map<std::string, std::string> env) : env_{std::move(env)} {
  workdir_ = make_workdir();
  port_ = free_port();
  env_.try_emplace("COMPTOIR_DATABASE_URL", test_database_url());
  env_["COMPTOIR_HTTP_PORT"] = std::to_string(port_);
  pid_ = spawn({"serve"}, env_, workdir_, workdir_ + "/output.log");
  start();
}

void server_process::start() {
  // Poll until the node answers; it binds only once its actors are loaded.
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (true) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("comptoir exited during start-up:\n" + output());
    }
    try {
      if (listens_on(pid_, port_) && get(port_, "/health/live").status == 200)
        return;
    } catch (const std::exception&) {
      // not listening yet
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("comptoir did not start within 60 s:\n" + output());
    std::this_thread::sleep_for(20ms);
  }
}

void server_process::kill_hard() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  wait_for_exit(pid_, 30s);
  pid_ = -1;
}

void server_process::restart() {
  if (pid_ > 0)
    throw std::logic_error("restart() needs the previous process to have exited");
  pid_ = spawn({"serve"}, env_, workdir_, workdir_ + "/output.log", true);
  start();
}

server_process::~server_process() {
  if (pid_ > 0) {
    // A node that exited by itself (a crash, a sanitizer report) or did not
    // stop cleanly leaves its output on stderr before the directory goes: the
    // only trace of why the test's connections failed.
    int code = wait_for_exit(pid_, 0ms);
    const bool died = code != -1;
    if (!died) {
      ::kill(pid_, SIGTERM);
      code = wait_for_exit(pid_, 10s);
      if (code == -1) {
        ::kill(pid_, SIGKILL);
        wait_for_exit(pid_, 10s);
      }
    }
    if (code != 0)
      std::cerr << "comptoir (pid " << pid_ << ") "
                << (died ? "had exited by itself" : "did not stop cleanly") << ", exit code "
                << code << "; its output:\n"
                << output() << std::endl;
  }
  std::error_code ignored;
  fs::remove_all(workdir_, ignored);
}

std::pair<int, std::chrono::milliseconds> server_process::terminate() {
  auto start = std::chrono::steady_clock::now();
  ::kill(pid_, SIGTERM);
  int code = wait_for_exit(pid_, 30s);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  if (code != -1)
    pid_ = -1;
  return {code, took};
}

std::string server_process::output() const {
  return read_file(workdir_ + "/output.log");
}

} // namespace comptoir::test
