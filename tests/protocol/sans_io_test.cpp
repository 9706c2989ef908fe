// protocol/ is sans-I/O: no sockets, threads, wall clocks, files or global
// randomness. This test reads every source file there and fails on any of them.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> forbidden = {
    // sockets and event loops
    "<sys/socket.h>", "<netinet/", "<arpa/inet.h>", "boost/asio", "boost/beast", "<poll.h>",
    // threads and synchronisation
    "<thread>", "<mutex>", "<condition_variable>", "<future>", "<atomic>", "pthread",
    // files
    "<filesystem>", "<fstream>", "<cstdio>", "<stdio.h>", "fopen", "<unistd.h>", "<fcntl.h>",
    // wall clocks (protocol_clock has no now(): time is a parameter)
    "system_clock", "steady_clock", "high_resolution_clock", "<ctime>", "time(nullptr)",
    "gettimeofday", "clock_gettime",
    // global randomness (generators are handed in)
    "random_device", "std::rand(", "srand(", " rand()"};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(sans_io, protocol_sources_touch_no_socket_thread_clock_file_or_global_random) {
  const fs::path dir = fs::path(SWARMSIM_SOURCE_DIR) / "protocol";
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (ext != ".hpp" && ext != ".cpp") continue;
    ++files;
    const std::string text = read_file(entry.path());
    for (const auto& word : forbidden) {
      EXPECT_EQ(text.find(word), std::string::npos)
          << entry.path().filename().string() << " mentions " << word;
    }
  }
  EXPECT_GT(files, 10);
}

}  // namespace
