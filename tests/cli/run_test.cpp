// `swarmsim run` as a user meets it: the real binary, run in a scratch directory,
// its exit status, stdout, stderr and the files it leaves behind.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/results/version.hpp"

namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::Not;
using testing::StartsWith;
using testing::UnorderedElementsAre;

// One seed and six leechers sharing 1 MiB: a real run in a few milliseconds.
constexpr const char* tiny = R"(name: tiny
torrent: {size: 1MiB, piece_size: 64KiB, block_size: 16KiB}
groups:
  - {name: seed, role: seed, upload: 10Mbit/s}
  - name: leechers
    count: 6
    role: leecher
    upload: 2Mbit/s
    arrival: {uniform: {start: 0s, window: 10s}}
simulation: {seed: 1, time_limit: 1h}
)";

constexpr std::initializer_list<const char*> result_files{"peers.csv", "timeseries.csv",
                                                          "summary.json", "scenario.resolved.yaml"};

enum class user : std::uint8_t { same, unprivileged };
enum class stderr_to : std::uint8_t { file, terminal };
constexpr uid_t nobody = 65534;

struct outcome {
  int status = -1;  // the exit code; -1 if the process did not exit normally
  std::string out;
  std::string err;
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// Every entry below `dir`: relative path -> contents ("<dir>" for directories).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    out[fs::relative(e.path(), dir).string()] =
        e.is_directory() ? std::string("<dir>") : read(e.path());
  return out;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  return out;
}

// A scratch directory per test (the working directory of the runs) and a
// separate one for the captured output, both removed afterwards.
class cli : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    std::string name =
        fmt::format("swarmsim-cli-{}-{}-{}", ::getpid(), info->test_suite_name(), info->name());
    std::replace(name.begin(), name.end(), '/', '-');  // parameterised tests have '/'
    root_ = fs::temp_directory_path() / name;
    fs::remove_all(root_);
    fs::create_directories(work());
    fs::create_directories(root_ / "io");
  }
  void TearDown() override {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(root_, ec))
      if (e.is_directory()) fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(root_, ec);
  }

  fs::path work() const { return root_ / "work"; }

  fs::path scenario(const std::string& name, const std::string& text) const {
    write(work() / name, text);
    return work() / name;
  }

  // Runs the binary with `args` in the work directory, stdin empty, stdout and
  // stderr captured in files (neither is a terminal), or stderr on a pseudo
  // terminal. `as` unprivileged: if this process is root, the child runs as
  // nobody, for whom permissions count.
  outcome swarmsim(const std::vector<std::string>& args, user as = user::same,
                   stderr_to where = stderr_to::file) const {
    const fs::path out = root_ / "io" / "stdout";
    const fs::path err = root_ / "io" / "stderr";
    std::vector<std::string> argv_text{SWARMSIM_BINARY};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    const bool drop = as == user::unprivileged && ::geteuid() == 0;
    int terminal = -1;  // the pseudo terminal's master side
    int terminal_slave = -1;
    if (where == stderr_to::terminal &&
        ::openpty(&terminal, &terminal_slave, nullptr, nullptr, nullptr) != 0) {
      ADD_FAILURE() << "openpty: " << std::strerror(errno);
      return {};
    }
    const pid_t pid = ::fork();
    if (pid == 0) {  // the child: only async-signal-safe calls until exec
      const int in_fd = ::open("/dev/null", O_RDONLY);
      const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err_fd = terminal_slave >= 0
                             ? terminal_slave
                             : ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 ||
          ::dup2(err_fd, 2) < 0 || ::chdir(work().c_str()) != 0)
        ::_exit(127);
      if (drop && (::setgroups(0, nullptr) != 0 || ::setgid(nobody) != 0 || ::setuid(nobody) != 0))
        ::_exit(127);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    outcome o;
    if (pid < 0) {
      ADD_FAILURE() << "fork: " << std::strerror(errno);
      return o;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.out = read(out);
    if (terminal < 0) {
      o.err = read(err);
      return o;
    }
    // The child has exited: what it wrote waits on the master side, then EIO.
    ::close(terminal_slave);
    char buffer[4096];
    for (ssize_t n; (n = ::read(terminal, buffer, sizeof buffer)) > 0;)
      o.err.append(buffer, static_cast<std::size_t>(n));
    ::close(terminal);
    return o;
  }

  // A successful quiet run into `out` (relative to the work directory).
  void run_ok(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"run"};
    all.insert(all.end(), args.begin(), args.end());
    all.push_back("--quiet");
    const outcome o = swarmsim(all);
    ASSERT_EQ(o.status, 0) << o.err;
  }

  fs::path root_;
};

void expect_result_files(const fs::path& dir) {
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  // The four files and nothing else: no temporary files left over.
  EXPECT_THAT(names_in(dir), UnorderedElementsAre("peers.csv", "timeseries.csv", "summary.json",
                                                  "scenario.resolved.yaml"));
  for (const char* name : result_files)
    EXPECT_FALSE(read(dir / name).empty()) << name;
}

// ---- success ---------------------------------------------------------------------

TEST_F(cli, a_run_writes_its_files_into_results_slash_the_scenario_name) {
  scenario("tiny.yaml", tiny);
  const outcome o = swarmsim({"run", "tiny.yaml"});
  ASSERT_EQ(o.status, 0) << o.err;
  expect_result_files(work() / "results" / "tiny");
  EXPECT_THAT(names_in(work()), UnorderedElementsAre("tiny.yaml", "results"));
  EXPECT_THAT(names_in(work() / "results"), UnorderedElementsAre("tiny"));
  // One row per peer under the header: 1 seed + 6 leechers.
  const std::string peers = read(work() / "results/tiny/peers.csv");
  EXPECT_EQ(std::count(peers.begin(), peers.end(), '\n'), 1 + 7);
  EXPECT_THAT(o.out, HasSubstr("results/tiny"));
}

TEST_F(cli, out_puts_the_files_where_asked_and_creates_missing_parents) {
  scenario("tiny.yaml", tiny);
  const outcome o = swarmsim({"run", "tiny.yaml", "--out", "deep/er/here"});
  ASSERT_EQ(o.status, 0) << o.err;
  expect_result_files(work() / "deep/er/here");
  EXPECT_FALSE(fs::exists(work() / "results"));
  EXPECT_THAT(names_in(work() / "deep/er"), UnorderedElementsAre("here"));
  // -o and an absolute path work too.
  const fs::path absolute = root_ / "elsewhere";
  ASSERT_EQ(swarmsim({"run", "tiny.yaml", "-o", absolute.string(), "-q"}).status, 0);
  expect_result_files(absolute);
}

TEST_F(cli, a_second_run_replaces_the_previous_results) {
  scenario("tiny.yaml", tiny);
  run_ok({"tiny.yaml", "--out", "r"});
  const auto first = snapshot(work() / "r");
  run_ok({"tiny.yaml", "--out", "r", "--seed", "2"});
  expect_result_files(work() / "r");
  EXPECT_NE(snapshot(work() / "r"), first);
}

TEST_F(cli, the_resolved_scenario_alone_reproduces_the_run_byte_for_byte) {
  scenario("tiny.yaml", tiny);
  // Flags change the run; the resolved file must carry them.
  run_ok({"tiny.yaml", "--out", "first", "--seed", "3", "--set", "groups.leechers.count=4", "--set",
          "defaults.download=8Mbit/s"});
  run_ok({"first/scenario.resolved.yaml", "--out", "again"});
  for (const char* name : result_files)
    EXPECT_EQ(read(work() / "again" / name), read(work() / "first" / name)) << name;
  const std::string peers = read(work() / "first/peers.csv");
  EXPECT_EQ(std::count(peers.begin(), peers.end(), '\n'), 1 + 5);
  EXPECT_THAT(read(work() / "first/summary.json"), HasSubstr("\"seed\": 3,"));
}

TEST_F(cli, the_same_seed_gives_identical_files_and_another_seed_different_ones) {
  scenario("tiny.yaml", tiny);
  run_ok({"tiny.yaml", "--out", "a"});
  run_ok({"tiny.yaml", "--out", "b"});
  run_ok({"tiny.yaml", "--out", "c", "--seed", "2"});
  for (const char* name : {"peers.csv", "timeseries.csv", "summary.json"}) {
    EXPECT_EQ(read(work() / "a" / name), read(work() / "b" / name)) << name;
    EXPECT_NE(read(work() / "a" / name), read(work() / "c" / name)) << name;
  }
}

TEST_F(cli, the_summary_gives_completion_times_simulated_time_events_and_speed) {
  scenario("tiny.yaml", tiny);
  const outcome o = swarmsim({"run", "tiny.yaml"});
  ASSERT_EQ(o.status, 0) << o.err;
  const std::string number = R"([0-9]+(\.[0-9]+)?)";
  for (const std::string& pattern :
       {fmt::format("min {0} s, median {0} s, p90 {0} s, max {0} s", number),
        fmt::format("simulated time: {} s, [0-9]+ events", number),
        fmt::format("wall time: {} s, [0-9]+ events/s", number)})
    EXPECT_THAT(o.out, testing::ContainsRegex(pattern));
  // The event count printed is the one in summary.json.
  const std::string summary = read(work() / "results/tiny/summary.json");
  const std::string key = "\"events\": ";
  const std::size_t at = summary.find(key);
  ASSERT_NE(at, std::string::npos) << summary;
  const std::size_t from = at + key.size();
  const std::string events =
      summary.substr(from, summary.find_first_not_of("0123456789", from) - from);
  ASSERT_FALSE(events.empty()) << summary;
  EXPECT_THAT(o.out, HasSubstr(fmt::format(", {} events\n", events)));
  EXPECT_THAT(o.out, HasSubstr("6/6"));
}

TEST_F(cli, without_a_terminal_stderr_gets_no_progress_bar) {
  scenario("tiny.yaml", tiny);
  const outcome o = swarmsim({"run", "tiny.yaml"});
  ASSERT_EQ(o.status, 0);
  EXPECT_THAT(o.err, IsEmpty());
  EXPECT_THAT(o.out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(o.out, Not(HasSubstr("\r")));
  EXPECT_THAT(o.out, Not(IsEmpty()));
}

TEST_F(cli, on_a_terminal_stderr_gets_a_progress_line_that_is_cleared_at_the_end) {
  scenario("tiny.yaml", tiny);
  const outcome o = swarmsim({"run", "tiny.yaml"}, user::same, stderr_to::terminal);
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.err, HasSubstr("leechers done"));
  EXPECT_THAT(o.err, testing::EndsWith("\r\x1b[K"));  // the line is wiped
  EXPECT_THAT(o.out, Not(HasSubstr("\x1b")));
  EXPECT_THAT(o.out, HasSubstr("6/6"));
  const outcome quiet =
      swarmsim({"run", "tiny.yaml", "-q", "-o", "q"}, user::same, stderr_to::terminal);
  EXPECT_EQ(quiet.status, 0);
  EXPECT_THAT(quiet.err, IsEmpty());
}

TEST_F(cli, quiet_prints_nothing_and_still_writes_the_files) {
  scenario("tiny.yaml", tiny);
  for (const char* flag : {"--quiet", "-q"}) {
    const outcome o = swarmsim({"run", "tiny.yaml", flag, "--out", flag});
    EXPECT_EQ(o.status, 0);
    EXPECT_THAT(o.err, IsEmpty());
    EXPECT_THAT(o.out, IsEmpty());
    expect_result_files(work() / flag);
  }
}

// ---- help, version, usage ---------------------------------------------------------

TEST_F(cli, help_describes_the_commands_and_their_options) {
  const outcome top = swarmsim({"--help"});
  EXPECT_EQ(top.status, 0);
  EXPECT_THAT(top.out, HasSubstr("run"));
  EXPECT_THAT(top.out, HasSubstr("--version"));
  const outcome run = swarmsim({"run", "--help"});
  EXPECT_EQ(run.status, 0);
  for (const char* option : {"--out", "--seed", "--set", "--quiet", "scenario"})
    EXPECT_THAT(run.out, HasSubstr(option));
}

TEST_F(cli, version_prints_the_version) {
  const outcome o = swarmsim({"--version"});
  EXPECT_EQ(o.status, 0);
  EXPECT_THAT(o.out, HasSubstr(std::string(swarmsim::sim::version())));
}

TEST_F(cli, no_subcommand_is_a_usage_error) {
  const outcome o = swarmsim({});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("Usage:"));
  EXPECT_THAT(o.err, HasSubstr("run"));
  EXPECT_THAT(o.out, IsEmpty());
}

TEST_F(cli, unknown_subcommands_and_arguments_are_usage_errors) {
  scenario("tiny.yaml", tiny);
  EXPECT_EQ(swarmsim({"walk"}).status, 2);
  EXPECT_EQ(swarmsim({"run"}).status, 2);  // no scenario
  EXPECT_EQ(swarmsim({"run", "tiny.yaml", "extra.yaml"}).status, 2);
  EXPECT_EQ(swarmsim({"run", "tiny.yaml", "--colour"}).status, 2);
  EXPECT_EQ(swarmsim({"run", "tiny.yaml", "--out"}).status, 2);
  EXPECT_THAT(names_in(work()), UnorderedElementsAre("tiny.yaml"));
}

// ---- bad input: exit 2, a message naming the place, nothing written ----------------

// A scenario file (an '@' marks where the error must point; `file` empty: no file at
// all), the flags after `run bad.yaml`, and the expected start of the message after
// "swarmsim: error: ". In `message`, "@" stands for "bad.yaml:LINE:COLUMN" of the mark.
struct bad_input {
  std::string label;
  std::optional<std::string> file;
  std::vector<std::string> flags;
  std::string message;
};

std::string mark_location(const std::string& marked_text) {
  const auto at = marked_text.find('@');
  if (at == std::string::npos) return "bad.yaml";
  const std::string before = marked_text.substr(0, at);
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const auto line_start = before.rfind('\n');
  const auto column = at - (line_start == std::string::npos ? 0 : line_start + 1) + 1;
  return fmt::format("bad.yaml:{}:{}", line, column);
}

std::string without_mark(std::string text) {
  if (const auto at = text.find('@'); at != std::string::npos) text.erase(at, 1);
  return text;
}

std::ostream& operator<<(std::ostream& os, const bad_input& b) {
  return os << b.label;
}

const std::string seed_line = "  - {name: seed, role: seed}\n";

const std::vector<bad_input> bad_inputs{
    {"unknown_key",
     "groups:\n" + seed_line + "  - name: l\n    @uplaod: 5Mbit\n",
     {},
     "@: unknown key 'uplaod' (did you mean 'upload'?)"},
    {"wrong_type",
     "groups:\n" + seed_line + "  - {name: l, count: @lots}\n",
     {},
     "@: count: expected a whole number, got 'lots'"},
    {"negative_rate",
     "groups:\n" + seed_line + "  - {name: l, upload: @-2Mbit/s}\n",
     {},
     "@: upload: rate '-2Mbit/s' must not be negative"},
    {"piece_size_not_a_multiple_of_the_block_size",
     "torrent:\n  size: 1MiB\n  piece_size: @100KiB\ngroups:\n" + seed_line,
     {},
     "@: piece_size: piece size 102400 is not a multiple of the block size 16384"},
    {"nobody_holds_the_pieces",
     "groups:\n  @- {name: seed, role: seed, count: 0}\n  - {name: l, count: 5}\n",
     {},
     "@: no peer holds every piece at the start; add a seed group"},
    {"unknown_unit",
     "groups:\n  - {name: seed, role: seed, upload: @10 Mbitz}\n",
     {},
     "@: upload: unknown rate unit 'Mbitz'"},
    {"yaml_syntax_error", "groups:\n  - {name: seed, role: seed\n@", {}, "@: "},
    {"a_list_instead_of_a_scenario", "@- a\n- b\n", {}, "@: expected a map of scenario fields"},
    {"empty_file", "", {}, "bad.yaml:1:1: the scenario is empty"},
    {"name_that_escapes_the_results_directory",
     "name: @../escape\ngroups:\n" + seed_line,
     {},
     "@: name: "},
    {"more_peers_than_swarmsim_holds",
     "groups:\n" + seed_line + "  - {name: l, count: @4000000000}\n",
     {},
     "@: count: group 'l' brings the swarm to 4000000001 peers"},
    {"missing_file", std::nullopt, {}, "bad.yaml: cannot open: No such file or directory"},
    {"set_unknown_key",
     "groups:\n" + seed_line,
     {"--set", "groups.seed.uplaod=1Mbit"},
     "--set groups.seed.uplaod=1Mbit: unknown key 'uplaod' (did you mean 'upload'?)"},
    {"set_bad_value",
     "groups:\n" + seed_line,
     {"--set", "groups.seed.count=many"},
     "--set groups.seed.count=many: count: expected a whole number, got 'many'"},
    {"set_bad_yaml",
     "groups:\n" + seed_line,
     {"--set", "groups.seed.count=[1"},
     "--set groups.seed.count=[1: bad value"},
    {"set_without_equals",
     "groups:\n" + seed_line,
     {"--set", "simulation.seed"},
     "--set simulation.seed: expected key.path=value"},
    {"set_that_removes_every_seed",
     "groups:\n" + seed_line,
     {"--set", "groups.seed.count=0"},
     "--set groups.seed.count=0: no peer holds every piece at the start"},
};

// CLI11 reports bad flags itself, in its own words; the flag is named.
const std::vector<bad_input> bad_flags{
    {"seed_not_a_number", "groups:\n" + seed_line, {"--seed", "abc"}, ""},
    {"seed_negative", "groups:\n" + seed_line, {"--seed", "-1"}, ""},
    {"seed_too_large", "groups:\n" + seed_line, {"--seed", "18446744073709551616"}, ""},
    {"seed_with_a_fraction", "groups:\n" + seed_line, {"--seed", "1.5"}, ""},
    {"seed_missing", "groups:\n" + seed_line, {"--seed"}, ""},
    {"set_missing", "groups:\n" + seed_line, {"--set"}, ""},
};

class cli_bad_input : public cli, public testing::WithParamInterface<bad_input> {
 protected:
  // Runs `run bad.yaml FLAGS... --out previous`; checks that it fails with exit
  // status 2, one line on stderr, and that it wrote nothing.
  outcome run_bad() const {
    const bad_input& b = GetParam();
    std::vector<std::string> args{"run", "bad.yaml"};
    args.insert(args.end(), b.flags.begin(), b.flags.end());
    args.insert(args.end(), {"--out", "previous"});
    const auto before = names_in(work());
    const outcome o = swarmsim(args);
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_THAT(o.out, IsEmpty());
    EXPECT_THAT(names_in(work()), testing::UnorderedElementsAreArray(before));
    EXPECT_EQ(snapshot(work() / "previous"), previous_);
    return o;
  }

  void SetUp() override {
    cli::SetUp();
    const bad_input& b = GetParam();
    if (b.file) scenario("bad.yaml", without_mark(*b.file));
    // Results of an earlier run, which a failed run must leave alone.
    fs::create_directories(work() / "previous");
    for (const char* name : result_files)
      write(work() / "previous" / name, fmt::format("earlier {}\n", name));
    previous_ = snapshot(work() / "previous");
  }

  std::map<std::string, std::string> previous_;
};

TEST_P(cli_bad_input, exits_2_with_the_place_and_writes_nothing) {
  const bad_input& b = GetParam();
  std::string expected = b.message;
  if (const auto at = expected.find('@'); at != std::string::npos)
    expected.replace(at, 1, mark_location(b.file.value_or("")));
  const outcome o = run_bad();
  EXPECT_THAT(o.err, StartsWith("swarmsim: error: " + expected));
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
}

INSTANTIATE_TEST_SUITE_P(scenarios_and_overrides, cli_bad_input, testing::ValuesIn(bad_inputs),
                         [](const auto& info) { return info.param.label; });

using cli_bad_flag = cli_bad_input;

TEST_P(cli_bad_flag, exits_2_naming_the_flag_and_writes_nothing) {
  EXPECT_THAT(run_bad().err, HasSubstr(GetParam().flags.front()));
}

INSTANTIATE_TEST_SUITE_P(flags, cli_bad_flag, testing::ValuesIn(bad_flags),
                         [](const auto& info) { return info.param.label; });

TEST_F(cli, the_seed_flag_reads_decimal_like_the_scenario_file) {
  // "010" is ten, as `simulation.seed: 010` is; not octal eight.
  scenario("tiny.yaml", tiny);
  run_ok({"tiny.yaml", "--out", "flag", "--seed", "010"});
  run_ok({"tiny.yaml", "--out", "set", "--set", "simulation.seed=10"});
  EXPECT_EQ(read(work() / "flag/peers.csv"), read(work() / "set/peers.csv"));
  EXPECT_THAT(read(work() / "flag/summary.json"), HasSubstr("\"seed\": 10,"));
}

TEST_F(cli, a_bad_scenario_leaves_no_results_directory_behind) {
  scenario("bad.yaml", "name: bad\ngroups: [{name: seed, role: seed, count: -1}]\n");
  const outcome o = swarmsim({"run", "bad.yaml"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, StartsWith("swarmsim: error: bad.yaml:2:"));
  EXPECT_THAT(names_in(work()), UnorderedElementsAre("bad.yaml"));
}

TEST_F(cli, a_directory_is_not_a_scenario) {
  fs::create_directories(work() / "dir.yaml");
  const outcome o = swarmsim({"run", "dir.yaml"});
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, StartsWith("swarmsim: error: dir.yaml: cannot open: "));
}

// ---- write failures: exit 1, a message naming the path, nothing half-written -------

TEST_F(cli, an_out_path_that_is_a_regular_file_is_a_write_error) {
  scenario("tiny.yaml", tiny);
  write(work() / "taken", "mine\n");
  for (const char* out : {"taken", "taken/sub"}) {
    const outcome o = swarmsim({"run", "tiny.yaml", "--out", out});
    EXPECT_EQ(o.status, 1) << out;
    EXPECT_THAT(o.err, StartsWith("swarmsim: error: "));
    EXPECT_THAT(o.err, HasSubstr(out));
    EXPECT_EQ(read(work() / "taken"), "mine\n");
    EXPECT_THAT(names_in(work()), UnorderedElementsAre("tiny.yaml", "taken"));
  }
}

TEST_F(cli, an_out_path_where_nobody_may_create_a_directory_is_a_write_error) {
  if (!fs::is_directory("/proc/self")) GTEST_SKIP() << "no /proc";
  scenario("tiny.yaml", tiny);
  const outcome o = swarmsim({"run", "tiny.yaml", "--out", "/proc/swarmsim-cli-test/out"});
  EXPECT_EQ(o.status, 1);
  EXPECT_THAT(o.err, StartsWith("swarmsim: error: "));
  EXPECT_THAT(o.err, HasSubstr("/proc/swarmsim-cli-test/out"));
}

constexpr fs::perms read_only = fs::perms::owner_read | fs::perms::owner_exec |
                                fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec;

TEST_F(cli, an_out_path_inside_a_read_only_directory_is_a_write_error) {
  scenario("tiny.yaml", tiny);
  fs::create_directories(work() / "locked");
  fs::permissions(work() / "locked", read_only);
  const outcome o = swarmsim({"run", "tiny.yaml", "--out", "locked/out"}, user::unprivileged);
  EXPECT_EQ(o.status, 1);
  EXPECT_THAT(o.err, StartsWith("swarmsim: error: "));
  EXPECT_THAT(o.err, HasSubstr("locked/out"));
  EXPECT_TRUE(fs::is_empty(work() / "locked"));
}

TEST_F(cli, a_read_only_results_directory_keeps_its_previous_results) {
  scenario("tiny.yaml", tiny);
  run_ok({"tiny.yaml", "--out", "r"});
  const auto before = snapshot(work() / "r");
  fs::permissions(work() / "r", read_only);
  const outcome o = swarmsim({"run", "tiny.yaml", "--out", "r", "--seed", "2"}, user::unprivileged);
  EXPECT_EQ(o.status, 1);
  EXPECT_THAT(o.err, StartsWith("swarmsim: error: "));
  EXPECT_THAT(o.err, HasSubstr("--out r: cannot be replaced"));
  EXPECT_EQ(snapshot(work() / "r"), before);
}

TEST_F(cli, a_failure_midway_leaves_the_previous_results_whole) {
  // A directory squatting on the name of the second file makes its write fail
  // after the first one has been written.
  scenario("tiny.yaml", tiny);
  run_ok({"tiny.yaml", "--out", "r"});
  fs::remove(work() / "r/timeseries.csv");
  fs::create_directories(work() / "r/timeseries.csv");
  const auto before = snapshot(work() / "r");
  const outcome o = swarmsim({"run", "tiny.yaml", "--out", "r", "--seed", "2"});
  EXPECT_EQ(o.status, 1);
  EXPECT_THAT(o.err, HasSubstr("timeseries.csv"));
  EXPECT_EQ(snapshot(work() / "r"), before) << "the earlier results were half overwritten";
  EXPECT_THAT(names_in(work()), UnorderedElementsAre("tiny.yaml", "r"));
}

}  // namespace
