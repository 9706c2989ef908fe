#pragma once
// Decides which blocks a local peer requests next, and tracks what it has,
// what is in flight and how available every piece is among its connections.
//
// Invariants:
// 1. availability(p) == number of connected peers known to have p (bitfields and
//    HAVEs added, departures removed), with seeds counted once in seed_count().
// 2. A block is in exactly one state: free, requested (by >= 1 requester),
//    received. A piece is complete when all its blocks are received; have(p) then.
// 3. Outside endgame pick() hands out only free blocks, so a block has at most one
//    requester (duplicates handed out in endgame stay until received or aborted,
//    even when an abort ends the endgame).
// 4. Endgame starts when no free block remains among missing pieces; then pick()
//    may hand out a block already requested by another requester (never twice to
//    the same requester, at most max_endgame_duplicates extra requesters).
// 5. A HAVE (inc_availability(piece)) costs O(1) in the number of pieces
//    (priority bands as in libtorrent, no re-sort); a whole bitfield may mark the
//    order dirty for an O(P) counting-sort rebuild at the next pick.
//
// How it is kept:
// 6. A piece is *wanted* while we lack it and it has a free block (wanted_).
//    availability(p) = entries_[p].count + uniform_ (peers that sent a full
//    bitfield: O(1)) + seeds_.
// 7. rarest_first and random keep the wanted pieces some peer has in bands:
//    bands_[b], b >= 1, holds those whose count is band_base_ + b - 1 (random: all
//    in band 1), in random order; entries_[p].pos is p's slot in its band. This is
//    libtorrent's priority order with each band in a vector of its own, so a
//    piece leaves its band in O(1) (the band's last piece fills the slot), be it
//    one band up on a HAVE or out of the order when its last free block is
//    requested, and joins a band at a random slot (that slot's piece moves to the
//    end). pick() scans bands 1, 2, ... While dirty_ (after a large bitfield, or
//    when pieces nobody has become available or the reverse), only the counts are
//    right; the next pick rebuilds the bands with a counting sort over
//    missing_order_, a fixed random permutation, which breaks ties at random.
// 8. sequential keeps no order: it walks wanted_ & peer_has from the lowest word.
// 9. A piece with a block requested or received has a download record (block
//    states, free-block mask, requesters); records with free blocks are listed in
//    partial_, every record in active_.

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/piece_strategy.hpp"
#include "protocol/strategy.hpp"
#include "protocol/torrent_geometry.hpp"
#include "protocol/types.hpp"

namespace swarmsim::protocol {

struct picker_options {
  // Which new pieces to start (protocol/piece_strategy.hpp): rarest_first
  // (lowest availability first, random among equals; BEP 3, mainline),
  // sequential (lowest index first; streaming clients), random, or a
  // registered strategy.
  strategy_ref policy{&rarest_first_picker_info(), {}};
  // Until we have this many pieces, pick pieces at random (mainline's
  // rarest_first_cutoff, libtorrent's initial_picker_threshold: 4). 0 disables.
  // Strategies read it as piece_request::starting(); rarest_first follows it.
  std::uint32_t random_first_pieces = 4;
  // Finish pieces already started before starting new ones (strict priority,
  // Cohen 2003). With rarest_first, a seed is asked only to finish pieces
  // started from a seed; pieces started from leechers wait for leechers, and the
  // seed's blocks go to the rarest pieces (mainline PiecePicker.next(seed=True):
  // its `seedstarted` list), so a seed does not spend its upload on pieces the
  // leechers already pass around.
  bool finish_started_first = true;
  // Enter endgame when every missing block is requested.
  bool endgame = true;
  // Extra requesters allowed per block in endgame.
  std::uint32_t max_endgame_duplicates = 2;

  friend bool operator==(const picker_options&, const picker_options&) = default;
};

// Who requested a block: the local peer's connection id.
using requester = connection_id;

class piece_picker;
class playback;

class piece_picker {
 public:
  piece_picker(const torrent_geometry& geometry, picker_options options, std::uint64_t seed);
  ~piece_picker();
  piece_picker(piece_picker&&) noexcept;
  piece_picker& operator=(piece_picker&&) noexcept;

  const torrent_geometry& geometry() const { return geometry_; }
  const picker_options& options() const { return options_; }

  // --- our own content ---
  // Marks a piece as already had (initial content); does not count as received.
  // Outstanding requests for it are forgotten.
  void set_have(piece_index p);
  void set_have_all();
  bool have(piece_index p) const { return have_.test(p); }
  const bitfield& have_bits() const { return have_; }
  std::uint32_t num_have() const { return have_.count(); }
  bool is_seed() const { return have_.all(); }  // have every piece
  // Pieces we still need that are not complete.
  std::uint32_t num_missing() const { return num_pieces_ - have_.count(); }

  // --- availability among connected peers ---
  // A bitfield with every bit set costs O(1) (a departure of a peer counted piece
  // by piece: one pass over the counts). One with few pieces, or all but a few,
  // moves those pieces between bands; any other bumps the counts, O(P/64 + set
  // bits), and leaves the bands to a rebuild at the next pick. A peer leaves with
  // the bitfield it has then (HAVEs included). At most 65535 peers are counted
  // per piece. inc_seed() costs O(1) too, but a seed that loses a piece must
  // become dec_seed() + inc_availability(its bitfield): a dec_availability(p)
  // that nobody is counted for is ignored.
  void inc_availability(const bitfield& peer_has);  // a BITFIELD arrived
  void dec_availability(const bitfield& peer_has);  // that peer left
  // A HAVE arrived. Returns have(p), read from the piece's entry that it
  // updates (flag_have mirrors have_): the caller needs no second cache line.
  bool inc_availability(piece_index p);
  void dec_availability(piece_index p);  // (rare: a peer lost a piece)
  void inc_seed();                       // a peer with every piece connected
  void dec_seed();
  std::uint32_t seed_count() const { return seeds_; }
  // Peers known to have p, seeds included.
  std::uint32_t availability(piece_index p) const {
    return static_cast<std::uint32_t>(entries_[p.value()].count + uniform_ + seeds_);
  }

  // --- picking ---
  // Appends to `out` up to `max_blocks` blocks that `peer_has` has and we need,
  // marks them requested by `who`, and returns how many were appended.
  // Order: blocks of partial pieces the peer has (finish_started_first; from a
  // seed under rarest_first only pieces started from a seed), then new
  // pieces as the strategy chooses (piece_strategy.hpp; rarest_first: the first
  // random_first_pieces at random, then by availability, pieces no counted peer
  // has last), then, in endgame, duplicates of blocks others requested
  // (fewest requesters first). A peer_has with every bit set (a seed) skips the
  // per-piece test; one of the wrong size gets nothing.
  std::uint32_t pick(const bitfield& peer_has, std::uint32_t max_blocks, requester who,
                     std::vector<block_ref>& out);
  // No free block remains among missing pieces (and options().endgame).
  bool in_endgame() const {
    return options_.endgame && wanted_.none() && have_.count() < num_pieces_;
  }
  // Whether peer_has has a piece we do not have (complete), whatever the state of
  // its blocks: the BEP 3 "interested" test. O(P/64). For a HAVE of piece p the
  // caller can test !have(p) instead.
  bool is_interesting(const bitfield& peer_has) const { return peer_has.has_any_not_in(have_); }

  // --- what a strategy may know beyond the pieces ---
  // The remote a pick is for, as the peer sees it (piece_request::remote()).
  struct remote_view {
    double rate = 0;           // payload bytes/s received from it lately; 0: unknown
    std::uint32_t queued = 0;  // our requests to it not answered yet
    bool slow = false;         // among the slowest tenth of the remotes that unchoke us
  };
  // Set by the peer before each pick when it plays the content (peer_options::
  // playback): the viewer (protocol/playback.hpp) advanced to `now`, and the
  // remote. Without a viewer the context stays empty (no clock, no remote).
  struct pick_context {
    const class playback* viewer = nullptr;
    time_point now{};
    remote_view remote;
  };
  void set_context(const pick_context& c) { context_ = c; }

  // --- block lifecycle ---
  struct received_result {
    bool accepted = false;        // false: already received, or not needed
    bool piece_complete = false;  // this block completed its piece
    // Other requesters that had this block outstanding (endgame): send them CANCEL.
    std::vector<requester> cancel;
  };
  // Accepts any block we still need, also one whose request was aborted (it
  // arrived late); rejects blocks already received, of pieces we have, or out of
  // range. One call per completion of a piece returns piece_complete.
  received_result mark_received(block_ref b, requester from);
  // A request that will not be answered (choked, rejected, timed out, peer left):
  // the block becomes free again unless another requester still has it.
  void abort_request(block_ref b, requester who);
  // A piece failed its hash check: every block of it becomes free again, and
  // have(p) becomes false if it was complete. Outstanding requests are forgotten.
  void reset_piece(piece_index p);

  // --- introspection (tests, metrics) ---
  bool is_requested(block_ref b) const;
  bool is_received(block_ref b) const;
  std::uint32_t num_requesters(block_ref b) const;
  // Pieces with some blocks requested or received and some still free.
  std::uint32_t num_partial_pieces() const { return static_cast<std::uint32_t>(partial_.size()); }
  // Pieces with some blocks requested or received, not complete.
  std::uint32_t num_downloading_pieces() const {
    return static_cast<std::uint32_t>(active_.size());
  }
  // The wanted pieces some connected peer has, in the order the strategy keeps
  // (piece_order::availability: ascending, random among equals; shuffled;
  // none: by index). Rebuilds a dirty order. Valid until the next
  // non-const call.
  std::span<const piece_index> pick_order();
  // Every outstanding request as (block, requester), endgame duplicates
  // included. O(records x blocks).
  std::vector<std::pair<block_ref, requester>> requests() const;
  // Throws std::logic_error naming the first invariant above (2-4, 6-9) that does
  // not hold, with the offending values; invariant 1 needs the peers and is
  // checked by protocol::peer. O(pieces + records x blocks): for tests and
  // checked simulator builds, never the normal paths.
  void check_invariants() const;

  // Cache hints for peer::prefetch_have: the members inc_availability(p)
  // reads, then its piece entry.
  void prefetch_members() const { __builtin_prefetch(&entries_); }
  void prefetch_have(piece_index p) const {
    if (p.value() < num_pieces_) __builtin_prefetch(&entries_[p.value()]);
  }

 private:
  friend class piece_request;
  static constexpr std::uint32_t npos = 0xffffffffu;
  static constexpr std::uint8_t flag_wanted = 1;  // missing, with a free block
  static constexpr std::uint8_t flag_have = 2;
  static constexpr std::uint8_t flag_listed = 4;  // in missing_order_

  struct piece_entry {
    std::uint16_t count = 0;  // peers with this piece, excluding uniform_ and seeds_
    std::uint8_t flags = 0;
    std::uint8_t spare = 0;
    std::uint32_t pos = 0;  // index in its band (when in one and !dirty_)
  };
  struct block_slot {
    requester first{};  // first requester, valid when num_requesters > 0
    std::uint16_t num_requesters = 0;
    std::uint8_t received = 0;
    std::uint8_t spare = 0;
  };
  struct extra_requester {
    std::uint32_t block;
    requester who;
  };
  struct download_record {
    std::uint32_t piece = 0;
    std::uint32_t partial_slot = npos;  // index in partial_, npos if no free block
    std::uint32_t active_slot = 0;      // index in active_
    std::uint32_t num_blocks = 0;
    std::uint32_t free = 0;
    std::uint32_t requested = 0;
    std::uint32_t received = 0;
    bool seed_started = false;           // a block of it was requested from a seed
    std::vector<extra_requester> extra;  // endgame requesters beyond the first
  };
  struct pick_state {
    const bitfield& peer;
    std::vector<block_ref>& out;
    requester who;
    std::uint32_t max;
    std::uint32_t n;
    bool seed;
    bool done() const { return n == max; }
  };

  // A bitfield with at most this many pieces set, or clear, updates the bands
  // piece by piece (a band move each); any other only bumps the counts and leaves
  // the bands to a rebuild (over the missing pieces).
  std::uint32_t incremental_limit() const { return 8 + num_missing() / 3; }
  std::uint32_t blocks_in(std::uint32_t p) const {
    return p + 1 == num_pieces_ ? last_piece_blocks_ : blocks_per_piece_;
  }

  // random numbers
  std::uint64_t next_random();
  std::uint32_t random_below(std::uint32_t n);

  // order maintenance
  std::uint32_t band_of(const piece_entry& e) const;
  std::uint32_t target_band(const piece_entry& e);
  void move_piece(std::uint32_t p, std::uint32_t from, std::uint32_t to);
  void rebuild_order();
  // The two passes of rebuild_order(), over raw arrays.
  static std::uint32_t sort_keys(piece_entry* __restrict entries, std::uint32_t* __restrict order,
                                 std::uint32_t* __restrict slots, std::uint32_t listed,
                                 bool base_positive, bool rarest, std::uint32_t& max_slot);
  static void sort_into_bands(piece_entry* __restrict entries,
                              const std::uint32_t* __restrict order,
                              const std::uint32_t* __restrict slots, std::uint32_t count,
                              std::uint32_t shift, std::uint32_t* __restrict fill,
                              piece_index* const* __restrict data);
  void set_base(std::uint32_t uniform, std::uint32_t seeds);
  void add_to_all_counts(std::uint32_t d);
  void dec_all();  // a peer counted in every piece left
  // Calls f(p) for each piece p that peer_has lacks.
  template <typename F>
  void for_each_lacking(const bitfield& peer_has, F&& f) const;
  void set_wanted(std::uint32_t p);
  void set_unwanted(std::uint32_t p);

  // download records
  std::uint32_t open_record(std::uint32_t p);
  void close_record(std::uint32_t r);
  void add_partial(std::uint32_t r);
  void remove_partial(std::uint32_t r);
  bool has_requester(const download_record& rec, const block_slot& slot, std::uint32_t block,
                     requester who) const;

  // check_invariants() by concern
  void check_records() const;
  void check_record(std::uint32_t r) const;
  void check_pieces() const;
  void check_bands() const;
  void check_endgame_index() const;

  // picking
  void take_blocks(pick_state& s, std::uint32_t p);
  void duplicate_blocks(pick_state& s, std::uint32_t p);
  // Block b of record r, already requested by others, is handed to s.who too
  // (an endgame or strategy duplicate).
  void add_requester(pick_state& s, std::uint32_t r, std::uint32_t b);
  void pick_partial(pick_state& s);
  void pick_ordered(pick_state& s);
  void pick_by_bits(pick_state& s);
  void pick_random_first(pick_state& s);
  void pick_lowest(pick_state& s, std::uint32_t from);
  void pick_endgame(pick_state& s);
  void build_endgame_index();
  // A block of record r went from `from` to `to` requesters (0: free or received).
  void change_level(std::uint32_t r, std::uint32_t from, std::uint32_t to);

  torrent_geometry geometry_;
  picker_options options_;
  piece_order order_;       // strategy_->order()
  bool seed_finishes_own_;  // strategy_->seed_finishes_own()
  std::uint64_t rng_state_;
  std::uint32_t num_pieces_;
  std::uint32_t blocks_per_piece_;
  std::uint32_t last_piece_blocks_;
  std::uint32_t mask_words_;  // free-mask words per download record
  bool use_bands_;            // order_ != none
  bool dirty_ = true;         // bands_ and entries_[].pos need a rebuild

  std::vector<piece_entry> entries_;
  bitfield have_;
  bitfield wanted_;
  std::uint32_t uniform_ = 0;  // peers counted in every piece (whole bitfields)
  std::uint32_t seeds_ = 0;
  std::uint32_t zero_counts_;          // pieces whose count is 0
  std::uint32_t sequential_word_ = 0;  // wanted_ words before this one are zero

  std::vector<std::vector<piece_index>> bands_;  // bands_[0] stays empty
  std::uint32_t band_base_ = 0;                  // count of the pieces in band 1 (availability)
  std::uint32_t in_order_ = 0;                   // pieces in bands 1..
  std::vector<piece_index*> band_data_;          // rebuild scratch
  // Every missing piece, perhaps some we have, in a fixed random order: the
  // tie-break of rebuilds. Rebuilds drop the pieces we have.
  std::vector<std::uint32_t> missing_order_;
  std::vector<std::uint32_t> slots_;  // rebuild scratch

  std::vector<std::uint32_t> record_of_;  // per piece, npos if none
  std::vector<download_record> records_;
  std::vector<block_slot> blocks_;         // blocks_per_piece_ per record
  std::vector<std::uint64_t> free_masks_;  // mask_words_ per record, bit set = free
  std::vector<std::uint32_t> free_records_;
  std::vector<std::uint32_t> partial_;
  std::vector<std::uint32_t> active_;

  // Endgame index, valid while endgame_index_ (built by the first endgame pick,
  // dropped when a block becomes free): for each level l in 1..L, with
  // L = max_endgame_duplicates, the records with a block of exactly l requesters.
  bool endgame_index_ = false;
  std::vector<std::uint32_t> level_count_;  // [record * L + l - 1]: such blocks
  std::vector<std::uint32_t> level_slot_;   // [record * L + l - 1]: index in level_records_
  std::vector<std::vector<std::uint32_t>> level_records_;

  std::vector<std::uint32_t> scratch_;
  std::vector<piece_index> order_copy_;  // pick_order()'s result
  // Asked once per pick, after the hot members above.
  std::unique_ptr<piece_strategy> strategy_;  // options_.policy
  pick_context context_;                      // set_context()
};

// One pick() as a piece strategy sees it (piece_strategy.hpp rules 1, 2 and 6):
// what it may read, and the calls that hand out blocks.
class piece_request {
 public:
  std::uint32_t num_pieces() const { return picker_.num_pieces_; }
  std::uint32_t num_have() const { return picker_.have_.count(); }
  bool have(piece_index p) const { return picker_.have(p); }
  const bitfield& have_bits() const { return picker_.have_; }
  // We lack p and a block of it is free.
  bool wanted(piece_index p) const {
    return p.value() < picker_.num_pieces_ && picker_.wanted_.test(p.value());
  }
  bool remote_has(piece_index p) const {
    return state_.seed || (p.value() < picker_.num_pieces_ && state_.peer.test(p.value()));
  }
  bool remote_is_seed() const { return state_.seed; }
  // wanted(p) and remote_has(p): take(p) would hand out blocks of it.
  bool startable(piece_index p) const { return wanted(p) && remote_has(p); }
  std::uint32_t availability(piece_index p) const { return picker_.availability(p); }
  // Fewer pieces had than picker_options::random_first_pieces.
  bool starting() const { return picker_.have_.count() < picker_.options_.random_first_pieces; }
  // A number in [0, n) from the picker's generator (n > 0).
  std::uint32_t random_below(std::uint32_t n) { return picker_.random_below(n); }
  bool full() const { return state_.done(); }
  // Blocks the request may still hand out.
  std::uint32_t room() const { return state_.max - state_.n; }
  // The peer's playback, advanced to now(), when it plays the content while it
  // downloads (peer_options::playback); null otherwise.
  const class playback* playback() const { return picker_.context_.viewer; }
  // The time of the pick when playback() is set (no clock is read otherwise).
  time_point now() const { return picker_.context_.now; }
  // The remote the pick is for (rate, queue), when playback() is set.
  const piece_picker::remote_view& remote() const { return picker_.context_.remote; }
  const torrent_geometry& geometry() const { return picker_.geometry_; }
  // The next piece the viewer needs (playback()->position()), or without
  // playback the lowest piece we lack; num_pieces() when there is none.
  piece_index playback_point() const;

  // Hands out p's free blocks (up to room()). Throws std::logic_error unless
  // startable(p) (rule 6).
  void take(piece_index p);
  // The picker's walks (rule 2): the order it keeps (throws with
  // piece_order::none), the lowest index from `from` on, uniformly at random.
  void take_in_order();
  void take_lowest(piece_index from = piece_index{0});
  void take_random();
  // The startable pieces of [first, last), by availability ascending and at
  // random among equals, until full(). Costs O(k log k) for k such pieces: for
  // windows of a few dozen pieces, not for the whole torrent.
  void take_rarest(piece_index first, piece_index last);
  // Requests again, from this remote, blocks of p that other remotes were asked
  // for and have not delivered (not received, not asked of this remote yet, at
  // most max_endgame_duplicates extra requesters each), as endgame does: for a
  // piece that is late. Free blocks are take()'s. Throws std::logic_error
  // unless we lack p and the remote has it.
  void take_duplicate(piece_index p);

 private:
  friend class piece_picker;
  piece_request(piece_picker& picker, piece_picker::pick_state& state)
      : picker_(picker), state_(state) {}
  piece_picker& picker_;
  piece_picker::pick_state& state_;
};

}  // namespace swarmsim::protocol
