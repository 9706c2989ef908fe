#include "sim/engine/huge_pages.hpp"

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#if defined(__linux__)
#include <unistd.h>
#endif

namespace swarmsim::sim {

namespace {

constexpr std::string_view tunable = "glibc.malloc.hugetlb";

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

bool kernel_allows_huge_pages() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  if (!std::getline(f, mode)) return false;
  return mode.find("[never]") == std::string::npos;
}

}  // namespace

bool huge_pages_available() {
#if defined(__linux__)
  return !sanitized && kernel_allows_huge_pages();
#else
  return false;
#endif
}

void use_huge_pages(char** argv, const char* program) {
#if defined(__linux__)
  if (argv == nullptr || argv[0] == nullptr) return;
  const char* off = std::getenv("SWARMSIM_HUGE_PAGES");
  if (off != nullptr && std::string_view(off) == "0") return;
  const char* current = std::getenv("GLIBC_TUNABLES");
  std::string tunables = current != nullptr ? current : "";
  if (tunables.find(tunable) != std::string::npos) return;  // set, or re-executed already
  if (!huge_pages_available()) return;
  const std::string added = std::string(tunable) + "=1";
  const std::string value = tunables.empty() ? added : tunables + ":" + added;
  if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  ::execv(program, argv);
  // Still here: run as started, with the environment as it was.
  if (current != nullptr)
    ::setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
  else
    ::unsetenv("GLIBC_TUNABLES");
#else
  (void)argv;
  (void)program;
#endif
}

}  // namespace swarmsim::sim
