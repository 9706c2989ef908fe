#pragma once
// The message parse_scenario() throws for `yaml` read as "test.yaml" with
// `overrides`, for tests of the scenario's error messages; a test failure if
// it throws none.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {

inline std::string error_of(const std::string& yaml,
                            const std::vector<std::string>& overrides = {}) {
  try {
    parse_scenario(yaml, "test.yaml", overrides);
  } catch (const scenario_error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return {};
}

}  // namespace swarmsim::sim
