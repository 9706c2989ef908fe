#pragma once
// PropShare (Levin, LaCurts, Spring, Bhattacharjee, "BitTorrent is an auction:
// analyzing and improving BitTorrent's incentives", SIGCOMM 2008).
//
// Unchoking as an auction with proportional shares: every rechoke, the
// interested remotes that sent us data over the last round (the `slots`
// largest contributors) are unchoked, and the upload is split between them in
// proportion to what each sent (download_rate over the round), block by block
// (strategies/common/proportional_uplink.hpp). A share `optimistic_share` of
// the upload goes to `optimistic_slots` interested non-contributors drawn at
// random each round (newcomers weigh `new_peer_weight` as in mainline), so that
// trade can begin; while nobody contributes, they share the whole uplink. An
// uplink share a remote does not use (no request waiting) goes to the others.
// As a seed, the mainline seed choker (strategies/common/seed_handover.hpp).

#include "protocol/strategy.hpp"

namespace swarmsim::strategies {

const protocol::strategy_info& propshare_info();

}  // namespace swarmsim::strategies
