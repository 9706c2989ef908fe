#pragma once
// Shared by the libFuzzer targets (tests/fuzz/*_fuzz.cpp, built and run by
// scripts/fuzz.sh) and the corpus replay test (tests/fuzz/corpus_test.cpp):
// a broken property throws fuzz_failure. Under libFuzzer the uncaught exception
// aborts, which it reports as a crash with the input; under GoogleTest it fails
// the test that replays the input. Code under test must not throw on any input
// either: any exception escaping a target is a finding.

#include <stdexcept>

namespace swarmsim::fuzz {

struct fuzz_failure : std::logic_error {
  using std::logic_error::logic_error;
};

inline void check(bool ok, const char* property) {
  if (!ok) throw fuzz_failure(property);
}

}  // namespace swarmsim::fuzz
