#include "sim/scenario/strategy_catalog.hpp"

#include "strategies/register.hpp"

namespace swarmsim::sim {

const protocol::strategy_registry& strategy_catalog() {
  static const protocol::strategy_registry catalog = [] {
    protocol::strategy_registry r = protocol::builtin_strategies();
    strategies::register_all(r);
    return r;
  }();
  return catalog;
}

}  // namespace swarmsim::sim
