#pragma once
// Test helpers for running real BitTorrent clients next to swarmsim: a child
// process killed at the end, whether a program is installed, and a free
// loopback port to give a client.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

extern char** environ;

namespace swarmsim::sim::real::testing {

// A child process running `command` through /bin/sh; killed (SIGTERM) and reaped
// at destruction if still running.
class child_process {
 public:
  explicit child_process(const std::string& command) {
    const std::string line = "exec " + command;
    const char* argv[] = {"/bin/sh", "-c", line.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) !=
        0)
      pid_ = -1;
  }
  ~child_process() { stop(); }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  bool started() const { return pid_ > 0; }
  bool exited() {
    if (done_) return true;
    if (pid_ <= 0) return true;
    done_ = ::waitpid(pid_, &status_, WNOHANG) == pid_;
    return done_;
  }
  int exit_code() const { return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }
  void stop() {
    if (pid_ > 0 && !exited()) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, &status_, 0);
      done_ = true;
    }
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool done_ = false;
};

// Whether `program` is on the PATH.
inline bool installed(const std::string& program) {
  const std::string cmd = "command -v " + program + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// A loopback port nothing listens on right now (the kernel's pick).
inline std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0));
  return a.local_endpoint().port();
}

// Whether something accepts connections on loopback `port` (one connection,
// closed at once).
inline bool listening(std::uint16_t port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), port), ec);
  return !ec;
}

}  // namespace swarmsim::sim::real::testing
