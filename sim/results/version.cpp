#include "sim/results/version.hpp"

namespace swarmsim::sim {

std::string_view version() {
  return "0.1.0";
}

}  // namespace swarmsim::sim
