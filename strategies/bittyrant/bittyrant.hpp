#pragma once
// BitTyrant (Piatek, Isdal, Anderson, Krishnamurthy, Venkataramani, "Do
// incentives build robustness in BitTorrent?", NSDI 2007): the strategic
// client that buys each remote's reciprocation at the lowest price.
//
// For every remote p it keeps u_p, the upload rate it offers p (starting at
// `market_rate`), and d_p, the download rate it expects from p: the rate p
// sent us over the last round when p reciprocates, else an estimate from p's
// HAVE announcements (p's download rate, taken as its upload capacity,
// divided by the slots mainline gives that capacity: protocol/choker.hpp rule
// 9). Every round (rechoke_interval):
// - p unchoked by us last round that sent us nothing: u_p grows by `raise`;
// - p that has sent us data for `reciprocation_time`: u_p shrinks by `lower`;
// - the interested remotes, ranked by d_p / u_p, are unchoked greedily while
//   the sum of their u_p fits our upload capacity (choker_options::
//   upload_capacity; without one, the first `max_unchoked`), and the uplink
//   is split in proportion to u_p, block by block.
// Its larger neighbour set is a matter of connections (max_connections and
// numwant of its group), not of this choker. As a seed, the mainline seed
// choker (strategies/common/seed_handover.hpp).

#include "protocol/strategy.hpp"

namespace swarmsim::strategies {

const protocol::strategy_info& bittyrant_info();

}  // namespace swarmsim::strategies
