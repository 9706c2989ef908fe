#pragma once
// Piece pickers for viewers who play the content while it downloads
// (peer_options::playback, protocol/playback.hpp). Each reads the playback
// point from the piece_request (playback_point(): where the player is, or
// without playback the lowest piece the peer lacks) and keeps the picker's
// rarest-first order for what it does not take near that point. Pieces the
// player skipped stay wanted: the viewer still downloads the whole file.
//
// sequential_fallback: pieces in index order from the playback point, as
//   libtorrent's sequential_download, unless none of the next `window` pieces
//   the peer lacks is held by any connected peer: then rarest first, so a
//   stalled viewer still trades instead of fetching the far end of the file.
// bitos (Vlavianos, Iliofotou, Faloutsos, "BiToS: enhancing BitTorrent for
//   supporting streaming applications", Global Internet 2006): a
//   high-priority set, the next `window` pieces the peer lacks from the
//   playback point; each pick draws from it with probability `p`, from the
//   remaining pieces otherwise, rarest first inside each set. (The remaining
//   set is walked in the picker's rarest-first order, which may meet a
//   high-priority piece when that one is the rarest.)
// hybrid (Hwang, Misra, Rubenstein, "Dynamic mix of earliest-first and
//   rarest-first", 2007; Carlsson and Eager, "Peer-assisted on-demand
//   streaming of stored media using BitTorrent-like protocols", Networking
//   2007): earliest first while the buffer ahead of the player holds less than
//   `low` seconds, rarest first from `high` seconds on, and in between
//   earliest first with a probability falling linearly from 1 to 0. Without
//   playback the buffer counts as full: rarest first.
// deadline (libtorrent's time-critical pieces, set_piece_deadline): pieces
//   whose playback deadline is within `window` are requested in deadline order,
//   only from remotes whose queue of requests, one block more, empties within
//   `max_queue` at their rate (an idle remote of unknown rate qualifies) and
//   that are not among the slowest tenth of the remotes unchoking us; a
//   time-critical piece due within `urgent` whose blocks are all asked for is
//   asked of such a remote too (duplicate requests, as endgame makes). The rest
//   rarest first. Differences from libtorrent: the choice is made per remote
//   as each one has room for requests (libtorrent hands each block to the best
//   remote), and "late" is a piece's deadline, not a block's age.

#include "protocol/strategy.hpp"

namespace swarmsim::strategies {

const protocol::strategy_info& sequential_fallback_info();
const protocol::strategy_info& bitos_info();
const protocol::strategy_info& hybrid_info();
const protocol::strategy_info& deadline_info();

}  // namespace swarmsim::strategies
