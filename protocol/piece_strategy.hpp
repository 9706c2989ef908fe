#pragma once
// Piece selection: which new pieces a local peer starts when it asks a remote
// for blocks. The interface every picker strategy implements; the piece picker
// (protocol/piece_picker.hpp) holds one and asks it nothing else. rarest_first,
// sequential and random are three of them (builtin_piece_strategies below).
//
// What a strategy is told:
// 1. pick(request) each time the peer fills a connection's request queue and
//    blocks remain to be handed out after the pieces already started (the
//    picker finishes those first when finish_started_first). The request
//    (piece_request, in piece_picker.hpp) answers what the strategy may read:
//    the number of pieces, which we have, which are wanted (we lack them and a
//    block of them is free), which the remote has, each piece's availability
//    among our connections, whether we are still starting (fewer pieces than
//    random_first_pieces), and draws from the picker's random generator.
//    For a peer with a viewer (peer_options::playback) it also answers the
//    viewer brought up to the time of the pick (playback(), now(),
//    playback_point()) and the remote as the peer sees it (remote(): its rate,
//    our requests queued to it, whether it is among the slowest tenth).
// What it may decide:
// 2. Which pieces to start, in its order: request.take(p) hands out p's free
//    blocks until the request is full (full()). It may also call the picker's
//    own walks, which cost no more than the built-in policies:
//    take_in_order() (the order it keeps, rule 4), take_lowest(from) (by
//    index from a piece on), take_random() (uniformly at random) and
//    take_rarest(first, last) (a window by availability). take_duplicate(p)
//    asks this remote too for blocks of p that others were asked for, as
//    endgame does (at most max_endgame_duplicates extra requesters a block).
// 3. Nothing at all: blocks left over go to endgame duplicates, if endgame.
// 4. Which order the picker keeps up to date for take_in_order(), fixed for
//    the strategy's life (order()): by availability with random tie-breaks
//    (rarest first), one random permutation, or none (the cheapest: a HAVE
//    then only counts).
// 5. Whether, from a seed, only pieces started from a seed are finished
//    (mainline's rule that keeps a seed's upload on new pieces):
//    seed_finishes_own().
// What it must never do:
// 6. take() a piece that is not wanted or that the remote lacks,
//    take_duplicate() a piece we have or the remote lacks, call
//    take_in_order() without an order, read a clock or a global random
//    generator (use the request's: runs are reproducible), or keep the request
//    past the call. The picker checks take() and stops with a
//    std::logic_error naming the strategy when it is broken.

#include <cstdint>
#include <memory>

namespace swarmsim::protocol {

class piece_request;

enum class piece_order : std::uint8_t {
  availability,  // rarest first: availability ascending, random among equals
  shuffled,      // one fixed random order, kept as pieces come and go
  none,          // no order: take_in_order() is not available
};

class piece_strategy {
 public:
  virtual ~piece_strategy() = default;
  // Rules 1 to 3.
  virtual void pick(piece_request& request) = 0;
  // Rule 4.
  virtual piece_order order() const = 0;
  // Rule 5.
  virtual bool seed_finishes_own() const { return false; }
};

struct strategy_info;
// The pickers of protocol/: rarest_first (BEP 3), sequential and random.
const strategy_info& rarest_first_picker_info();
const strategy_info& sequential_picker_info();
const strategy_info& random_picker_info();

}  // namespace swarmsim::protocol
