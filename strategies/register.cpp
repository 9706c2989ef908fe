#include "strategies/register.hpp"

#include "strategies/bittyrant/bittyrant.hpp"
#include "strategies/fairtorrent/fairtorrent.hpp"
#include "strategies/large_view/large_view.hpp"
#include "strategies/propshare/propshare.hpp"
#include "strategies/streaming/streaming.hpp"
#include "strategies/strict_tft/strict_tft.hpp"

namespace swarmsim::strategies {

void register_all(protocol::strategy_registry& registry) {
  registry.add(strict_tft_info());
  registry.add(bittyrant_info());
  registry.add(propshare_info());
  registry.add(fairtorrent_info());
  registry.add(large_view_info());
  registry.add(sequential_fallback_info());
  registry.add(bitos_info());
  registry.add(hybrid_info());
  registry.add(deadline_info());
}

}  // namespace swarmsim::strategies
