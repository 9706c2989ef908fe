#pragma once
// strict_tft: an example choker, and the one to copy to start your own
// (docs/STRATEGIES.md walks through it).
//
// Every `interval` it unchokes the `slots` interested remotes that sent us the
// most over the last rechoke interval, counting only those that sent at least
// `min_rate` bytes/s: strict tit-for-tat, no optimistic unchoke. While nobody
// qualifies (at the start, or as a seed: nobody uploads to a seed) it unchokes
// `bootstrap` interested remotes at random, so that trade can begin.

#include "protocol/strategy.hpp"

namespace swarmsim::strategies {

const protocol::strategy_info& strict_tft_info();

}  // namespace swarmsim::strategies
