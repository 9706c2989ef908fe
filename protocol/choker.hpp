#pragma once
// Decides which connections a local peer uploads to (unchokes).
//
// The decision is a pure function of per-connection snapshots plus a little state
// the `choker` keeps: the rechoke timer, the optimistic unchokes with their expiry
// times, and since when each choked connection has waited (for round robin).
//
// Leecher (tit-for-tat, BEP 3 / mainline):
// 1. At every rechoke (every rechoke_interval) the upload_slots - optimistic_slots
//    interested, non-snubbed peers that uploaded to us fastest (download_rate) get
//    the regular slots. Ties: higher rate first, then lower connection id. A peer
//    that sent us nothing in the rate window (rate 0) gets no regular slot
//    (mainline: no preferred slot below 1 kB/s).
// 2. Each optimistic slot holds one interested peer not among the regular ones,
//    drawn at random; peers connected less than new_peer_window ago weigh
//    new_peer_weight, the others 1. The draw looks at the candidates in
//    connection-id order, so it depends only on the candidates and the rng.
//    Regular slots left empty by rule 1 are filled the same way and rotate like
//    optimistic ones (mainline fills them from its rotating list), so
//    is_optimistic() names every unchoke not earned by rate. When more peers
//    earn a regular slot, the extra optimistic slots go, the newest first.
// 3. An optimistic peer keeps its slot for optimistic_interval (a multiple of
//    rechoke_interval: 30 s = 3 rechokes of 10 s). It loses the slot early, and
//    a fresh peer is drawn at that same rechoke, when it leaves, loses interest,
//    or earns a regular slot. When its time is up it is excluded from the next
//    draw unless no other peer is eligible, so the slot really rotates.
// 4. A snubbed peer (no block from it for snub_timeout while we were interested
//    and it unchoked us) gets no regular slot, only an optimistic one.
// Seed (we have every piece); the optimistic slots work as in 2 and 3:
// 5. fastest_upload: the regular slots go to the interested peers we upload to
//    fastest (upload_rate; ties by connection id).
//    round_robin: an unchoked peer keeps its slot until it has been sent
//    round_robin_bytes since its unchoke and round_robin_min_time has passed;
//    then it yields to the interested peer that has waited longest (choked
//    longest, or connected longest ago if never unchoked). A peer holding an
//    optimistic slot does not compete for a regular one until that slot runs
//    out; then it queues as waiting from that moment. Snubbing is ignored.
// 6. Uninterested peers are never unchoked (nothing to upload to them). Slots
//    left over for want of interested peers stay empty.
// 7. upload_slots = 0 (with optimistic_slots = 0) unchokes nobody: a free-rider.
// 8. Between rechokes, reselect() recomputes the unchoke set with the same rules
//    and current rates when an unchoked peer's interest changes or an unchoked
//    connection goes (mainline rechokes then too): a regular peer that loses
//    interest frees its slot for the next by rate. A choked peer that becomes
//    interested takes a free slot at once but waits for the next rechoke when
//    every slot is taken (mainline: Choker.interested rechokes only for an
//    unchoked connection, and its optimistic walk leaves no slot free: it
//    unchokes uninterested peers too). reselect() neither rotates optimistic
//    slots nor moves the rechoke timer, so flickering interest cannot defeat
//    the 10-second rechoke.
// 9. slots_mode automatic: upload_slots follows our upload capacity as in
//    mainline: 2 below 9 KiB/s, 3 below 15, 4 below 42, else
//    floor(sqrt(0.6 x KiB/s)) (BitTorrent 3.x/4.x max_uploads when unset);
//    never fewer than optimistic_slots. Without a capacity, upload_slots holds.
// 10. Seed (hostile remotes): a candidate marked idle (unchoked for a rechoke
//    interval without sending a request; protocol::peer decides) gets no slot,
//    regular or optimistic. One marked demoted (idle before) ranks after every
//    other waiting peer, regular or optimistic: it gets a slot only when nobody
//    else wants one. round_robin also rotates by time: a holder that kept its
//    slot for round_robin_max_time yields it whatever it was sent.
//
// Defaults and where they come from:
//   upload_slots 4, optimistic 1 .. BEP 3 ("four peers", one of them optimistic);
//                                   mainline: max_uploads - 1 by rate + 1 optimistic
//   rechoke_interval 10 s ........ BEP 3, mainline (libtorrent unchoke_interval: 15 s)
//   optimistic_interval 30 s ..... BEP 3, mainline (every 3rd rechoke)
//   new_peer_weight 3 ............ BEP 3 / Cohen 2003: new connections 3x as likely
//   snub_timeout 60 s ............ Cohen 2003 (mainline snub_time: 30 s)
//   seed round_robin, 20 pieces of 256 KiB, 1 min ... libtorrent seed_choking_algorithm
//                                   default, and its round-robin quota
//   round_robin_max_time 5 min ... a slot is not held forever by a slow remote

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "protocol/strategy.hpp"
#include "protocol/types.hpp"
#include "protocol/upload_strategy.hpp"

namespace swarmsim::protocol {

enum class seed_choking : std::uint8_t { round_robin, fastest_upload };
enum class slots_mode : std::uint8_t { fixed, automatic };

// Mainline's number of upload slots for an upload capacity in bytes/s (rule 9).
std::uint32_t automatic_upload_slots(double upload_bytes_per_s);

// The registry entry of this choker: "mainline", no parameters of its own.
const strategy_info& mainline_choker_info();

struct choker_options {
  std::uint32_t upload_slots = 4;        // BEP 3: 4 in total, optimistic included
  slots_mode slots = slots_mode::fixed;  // automatic: rule 9
  double upload_capacity = 0;          // our uplink in bytes/s, set by the driver (automatic slots)
  std::uint32_t optimistic_slots = 1;  // BEP 3, mainline
  duration rechoke_interval = std::chrono::seconds(10);      // BEP 3, mainline
  duration optimistic_interval = std::chrono::seconds(30);   // BEP 3
  duration snub_timeout = std::chrono::seconds(60);          // Cohen 2003
  duration new_peer_window = std::chrono::seconds(30);       // "new" for optimistic weighting
  std::uint32_t new_peer_weight = 3;                         // BEP 3: 3x as likely
  seed_choking seed_mode = seed_choking::round_robin;        // libtorrent default
  std::uint32_t round_robin_bytes = 20 * 256 * 1024;         // libtorrent: 20 pieces
  duration round_robin_min_time = std::chrono::seconds(60);  // libtorrent: 1 minute
  duration round_robin_max_time = std::chrono::minutes(5);   // rule 10
  // BEP 16 super-seeding while we are a seed: no bitfield, pieces revealed one
  // per peer with HAVE (carried out by protocol::peer; see peer.hpp).
  bool super_seeding = false;
  // The upload strategy (protocol/upload_strategy.hpp) and its parameters; the
  // fields above are what every strategy is given. Default: this mainline choker.
  strategy_ref policy{&mainline_choker_info(), {}};

  friend bool operator==(const choker_options&, const choker_options&) = default;
};

// The strategy options.policy names, built with its parameters.
std::unique_ptr<upload_strategy> make_upload_strategy(const choker_options& options);

class choker final : public upload_strategy {
 public:
  // Throws std::invalid_argument if optimistic_slots > upload_slots or an
  // interval is not positive.
  explicit choker(choker_options options = {});

  const choker_options& options() const { return options_; }

  // The time of the next rechoke (first one: `start` + rechoke_interval).
  void start(time_point start) override { next_rechoke_ = start + options_.rechoke_interval; }
  time_point next_deadline() const override { return next_rechoke_; }

  // Runs one rechoke: returns the set of connections that should be unchoked
  // (sorted by connection id). The next rechoke is due at now + rechoke_interval.
  // Candidates must have distinct connection ids.
  // The result stays valid until the next call of rechoke() or reselect().
  const std::vector<connection_id>& rechoke(std::span<const choke_candidate> candidates,
                                            bool we_are_seed, time_point now, rng& random) override;
  // The same decision between rechokes (rule 8): optimistic slots do not expire
  // and the timer stays.
  const std::vector<connection_id>& reselect(std::span<const choke_candidate> candidates,
                                             bool we_are_seed, time_point now,
                                             rng& random) override;

  // Slots in use: options().upload_slots, or the automatic count (rule 9).
  std::uint32_t upload_slots() const override { return upload_slots_; }

  // The first optimistic unchoke (the only one with the default single slot).
  std::optional<connection_id> optimistic() const;
  // Every current optimistic unchoke, in the order their slots were filled.
  std::vector<connection_id> optimistic_unchokes() const override;
  bool is_optimistic(connection_id c) const override;
  // A connection went away.
  void forget(connection_id c) override;
  // Throws std::logic_error naming the first kept-state rule that does not hold
  // (slot counts, optimistic slots distinct and within upload_slots, choked_since
  // sorted and apart from them), with the offending values. O(slots + choked).
  void check_invariants() const override;

 private:
  struct optimistic_slot {
    connection_id conn;
    time_point until;  // the slot rotates at the first rechoke at or after this
  };

  struct keyed {  // a candidate with its round-robin rank
    int group;
    time_point since;
    const choke_candidate* c;
  };
  using ranking = std::vector<const choke_candidate*>;

  // The regular slots, into regular_ (sorted by connection id).
  void regular_leecher(std::span<const choke_candidate> candidates);
  void regular_fastest_upload(std::span<const choke_candidate> candidates);
  void regular_round_robin(std::span<const choke_candidate> candidates, time_point now);
  template <typename Keep, typename Rate>
  void rank_by_rate(std::span<const choke_candidate> candidates, Keep keep, Rate rate);
  void take_first(std::uint32_t slots);  // the first `slots` of ranked_ into regular_
  const std::vector<connection_id>& select(std::span<const choke_candidate> candidates,
                                           bool we_are_seed, time_point now, bool rotate,
                                           rng& random);
  void update_optimistic(std::span<const choke_candidate> candidates, time_point now, bool rotate,
                         rng& random);
  std::uint32_t regular_slots() const { return upload_slots_ - options_.optimistic_slots; }
  // When choked connection c lost its slot, if we unchoked it before.
  const time_point* choked_since(connection_id c) const;

  choker_options options_;
  std::uint32_t upload_slots_ = 0;
  time_point next_rechoke_ = never;
  std::vector<optimistic_slot> optimistic_;
  // Choked connections we have unchoked before: when they lost their slot
  // (sorted by connection id).
  std::vector<std::pair<connection_id, time_point>> choked_since_;

  // Scratch of select(), kept to spare allocations on every rechoke.
  std::vector<connection_id> regular_;
  std::vector<connection_id> unchoke_;
  ranking ranked_;
  std::vector<keyed> keyed_;
  ranking eligible_;
  ranking fresh_;
  ranking fallback_;
  std::vector<connection_id> kept_;
  std::vector<connection_id> expired_;
  std::vector<optimistic_slot> slots_;
  std::vector<std::pair<connection_id, time_point>> waiting_;
};

}  // namespace swarmsim::protocol
