#pragma once
// The strategies of this folder, added to a registry: one line per strategy in
// register.cpp. Copy strict_tft/ to start your own (docs/STRATEGIES.md).

#include "protocol/strategy_registry.hpp"

namespace swarmsim::strategies {

void register_all(protocol::strategy_registry& registry);

}  // namespace swarmsim::strategies
