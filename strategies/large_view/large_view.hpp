#pragma once
// The large-view exploit (Locher, Moor, Schmid, Wattenhofer, "Free riding in
// BitTorrent is cheap", HotNets 2006: BitThief; Sirivianos, Park, Chen, Yang,
// "Free-riding in BitTorrent networks with the large view exploit", IPTPS
// 2007): a peer that sees much more of the swarm than a mainline client does,
// so that the optimistic unchokes of many peers reach it. It keeps up to
// `connections` connections open, opens up to `initiate` itself, asks the
// tracker for `numwant` addresses, and announces every `announce_every` (no
// sooner than the tracker's min interval allows) and early whenever it holds
// fewer than `connections`. It makes room for a newcomer as mainline does.
// Combined with `upload: 0` it is the free-rider of those papers; with an
// incentive choker it is BitTyrant's larger neighbour set.
//
// Parameters: connections (300), initiate (250), numwant (200: what trackers
// commonly allow at most), announce_every (60 s).

#include "protocol/strategy.hpp"

namespace swarmsim::strategies {

const protocol::strategy_info& large_view_info();

}  // namespace swarmsim::strategies
