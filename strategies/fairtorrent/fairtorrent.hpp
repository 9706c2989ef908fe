#pragma once
// FairTorrent (Sherman, Nieh, Stein, "FairTorrent: bringing fairness to
// peer-to-peer systems", CoNEXT 2009).
//
// No rounds of tit-for-tat: every interested remote is unchoked (up to
// `slots`), and each block of the uplink goes to the ready remote with the
// largest deficit: bytes it has sent us minus bytes we have sent it, on this
// connection (ties by connection id). A remote that gave us more than we gave it
// is served first; newcomers (deficit 0) come before those we already
// overpaid, so trade begins without an optimistic unchoke. When more remotes
// are interested than `slots`, those with the largest deficit are unchoked.
// As a seed, the mainline seed choker (strategies/common/seed_handover.hpp).
//
// Parameters: slots (default 40: the paper unchokes every neighbour; 40 is
// the mainline connection target, so in practice every interested one).

#include "protocol/strategy.hpp"

namespace swarmsim::strategies {

const protocol::strategy_info& fairtorrent_info();

}  // namespace swarmsim::strategies
