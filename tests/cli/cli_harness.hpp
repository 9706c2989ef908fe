#pragma once
// Running the built swarmsim binary (and other programs) from a test: a scratch
// working directory per test, captured exit status, stdout and stderr. Used by
// the sweep and analysis command-line tests.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace swarmsim::test {

namespace fs = std::filesystem;

struct outcome {
  int status = -1;  // the exit code; -1 if the process did not exit normally
  std::string out;
  std::string err;
};

inline std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

inline std::string quoted(const std::string& arg) {
  std::string q = "'";
  for (const char c : arg)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Every file below `dir`: relative path -> contents.
inline std::map<std::string, std::string> files_below(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read(e.path());
  return out;
}

// A scratch directory per test: work/ is the working directory of the commands,
// io/ holds their captured output. Removed afterwards.
class scratch_cli : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    std::string name =
        fmt::format("swarmsim-cli-{}-{}-{}", ::getpid(), info->test_suite_name(), info->name());
    std::replace(name.begin(), name.end(), '/', '-');
    root_ = fs::temp_directory_path() / name;
    fs::remove_all(root_);
    fs::create_directories(work());
    fs::create_directories(root_ / "io");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path work() const { return root_ / "work"; }

  fs::path file(const std::string& name, const std::string& text) const {
    write(work() / name, text);
    return work() / name;
  }

  // Runs `program` with `args` in the work directory, stdin empty, stdout and
  // stderr captured in files (neither is a terminal).
  outcome execute(const std::string& program, const std::vector<std::string>& args) const {
    std::string command = fmt::format("cd {} && exec {}", quoted(work().string()), quoted(program));
    for (const auto& a : args) {
      command += ' ';
      command += quoted(a);
    }
    const fs::path out = root_ / "io" / "stdout";
    const fs::path err = root_ / "io" / "stderr";
    command += fmt::format(" </dev/null >{} 2>{}", quoted(out.string()), quoted(err.string()));
    const int status = std::system(command.c_str());
    outcome o;
    o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = read(out);
    o.err = read(err);
    return o;
  }

  outcome swarmsim(const std::vector<std::string>& args) const {
    return execute(SWARMSIM_BINARY, args);
  }

  fs::path root_;
};

}  // namespace swarmsim::test
