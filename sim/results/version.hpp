#pragma once
// The project's version, from CMake's project() call.

#include <string_view>

namespace swarmsim::sim {

std::string_view version();

}  // namespace swarmsim::sim
