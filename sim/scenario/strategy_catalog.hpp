#pragma once
// The strategies a scenario may name: protocol/'s built-in ones and those of
// strategies/ (strategies/register.cpp), built once, never changed after.

#include "protocol/strategy_registry.hpp"

namespace swarmsim::sim {

const protocol::strategy_registry& strategy_catalog();

}  // namespace swarmsim::sim
