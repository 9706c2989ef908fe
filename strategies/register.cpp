#include "strategies/register.hpp"

#include "strategies/strict_tft/strict_tft.hpp"

namespace swarmsim::strategies {

void register_all(protocol::strategy_registry& registry) {
  registry.add(strict_tft_info());
}

}  // namespace swarmsim::strategies
