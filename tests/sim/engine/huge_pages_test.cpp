// use_huge_pages(): the program is started again, once, with glibc's malloc told
// to use transparent huge pages (sim/engine/huge_pages.hpp). A forked child calls it with
// /bin/sh in the place of the program, and the shell reports the environment it
// was started with.

#include "sim/engine/huge_pages.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using swarmsim::sim::use_huge_pages;

constexpr int returned = 3;  // the child's exit code when use_huge_pages returned

struct child_result {
  int status = -1;
  std::string tunables;  // GLIBC_TUNABLES as the shell saw it
};

// Forks; the child sets the environment, calls use_huge_pages() with a shell
// command that writes $GLIBC_TUNABLES to a file, and exits `returned` if the call
// came back.
child_result run_child(const std::optional<std::string>& tunables,
                       const std::optional<std::string>& switch_value) {
  const fs::path out =
      fs::temp_directory_path() / ("swarmsim-huge-pages-" + std::to_string(::getpid()) + ".txt");
  fs::remove(out);
  const std::string script = "printf %s \"$GLIBC_TUNABLES\" > '" + out.string() + "'";
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (tunables)
      ::setenv("GLIBC_TUNABLES", tunables->c_str(), 1);
    else
      ::unsetenv("GLIBC_TUNABLES");
    if (switch_value)
      ::setenv("SWARMSIM_HUGE_PAGES", switch_value->c_str(), 1);
    else
      ::unsetenv("SWARMSIM_HUGE_PAGES");
    std::string a0 = "sh", a1 = "-c", a2 = script;
    char* argv[] = {a0.data(), a1.data(), a2.data(), nullptr};
    use_huge_pages(argv, "/bin/sh");
    ::_exit(returned);
  }
  child_result r;
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(out);
  std::ostringstream text;
  text << in.rdbuf();
  r.tunables = text.str();
  fs::remove(out);
  return r;
}

TEST(huge_pages, the_program_starts_again_with_the_malloc_tunable) {
  if (!swarmsim::sim::huge_pages_available()) GTEST_SKIP() << "no huge pages in this build";
  const child_result r = run_child(std::nullopt, std::nullopt);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.tunables, "glibc.malloc.hugetlb=1");
}

TEST(huge_pages, other_tunables_are_kept) {
  if (!swarmsim::sim::huge_pages_available()) GTEST_SKIP() << "no huge pages in this build";
  const child_result r = run_child("glibc.malloc.arena_max=2", std::nullopt);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.tunables, "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
}

TEST(huge_pages, a_tunable_the_user_set_wins_and_nothing_restarts) {
  const child_result r = run_child("glibc.malloc.hugetlb=0", std::nullopt);
  EXPECT_EQ(r.status, returned);
  EXPECT_EQ(r.tunables, "");
}

TEST(huge_pages, swarmsim_huge_pages_0_turns_it_off) {
  const child_result r = run_child(std::nullopt, "0");
  EXPECT_EQ(r.status, returned);
  EXPECT_EQ(r.tunables, "");
}

TEST(huge_pages, a_program_that_cannot_start_leaves_the_environment_as_it_was) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=2", 1);
    ::unsetenv("SWARMSIM_HUGE_PAGES");
    std::string a0 = "missing";
    char* argv[] = {a0.data(), nullptr};
    use_huge_pages(argv, "/nonexistent/program");
    const char* now = std::getenv("GLIBC_TUNABLES");
    ::_exit(now != nullptr && std::string(now) == "glibc.malloc.arena_max=2" ? returned : 4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), returned);
}

}  // namespace
