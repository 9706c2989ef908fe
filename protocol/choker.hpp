#pragma once
// Decides which connections a local peer uploads to (unchokes).
//
// API CONTRACT (implementation in choker.cpp). The decision is a pure function of
// per-connection snapshots; the `choker` object only keeps the timers and the
// current optimistic unchoke.
//
// Leecher (tit-for-tat, BEP 3 / mainline):
// 1. Every rechoke_interval, the upload_slots - optimistic_slots interested,
//    non-snubbed peers that uploaded to us fastest (download_rate) are unchoked.
// 2. Every optimistic_interval (a multiple of rechoke_interval), one interested
//    peer not among those is chosen at random as the optimistic unchoke; peers
//    connected less than new_peer_window ago are new_peer_weight times as likely.
// 3. A snubbed peer (no block from it for snub_timeout while we were interested
//    and it unchoked us) gets no regular slot, only the optimistic one.
// Seed (we have every piece):
// 4. fastest_upload: slots go to the interested peers we upload to fastest.
//    round_robin: each unchoked peer keeps its slot until it has received
//    round_robin_pieces pieces' worth of bytes and round_robin_min_time has passed,
//    then yields to the interested peer that waited longest (libtorrent default).
// 5. Uninterested peers are never unchoked (nothing to upload to them).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::protocol {

enum class seed_choking : std::uint8_t { round_robin, fastest_upload };

struct choker_options {
  std::uint32_t upload_slots = 4;       // BEP 3: 4 in total, optimistic included
  std::uint32_t optimistic_slots = 1;   // BEP 3, mainline
  duration rechoke_interval = std::chrono::seconds(10);     // BEP 3, mainline
  duration optimistic_interval = std::chrono::seconds(30);  // BEP 3
  duration snub_timeout = std::chrono::seconds(60);         // Cohen 2003
  duration new_peer_window = std::chrono::seconds(30);      // "new" for optimistic weighting
  std::uint32_t new_peer_weight = 3;                        // BEP 3: 3x as likely
  seed_choking seed_mode = seed_choking::round_robin;       // libtorrent default
  std::uint32_t round_robin_bytes = 20 * 256 * 1024;        // libtorrent: 20 pieces
  duration round_robin_min_time = std::chrono::seconds(60);  // libtorrent: 1 minute
};

// What the choker sees of one connection at a rechoke.
struct choke_candidate {
  connection_id conn;
  bool peer_interested = false;   // the remote wants to download from us
  bool snubbed = false;           // see rule 3
  double download_rate = 0;       // bytes/s the remote recently sent us
  double upload_rate = 0;         // bytes/s we recently sent the remote
  time_point connected_at{};
  bool unchoked = false;          // currently unchoked by us
  time_point unchoked_since{};    // valid when unchoked
  std::uint64_t bytes_sent_since_unchoke = 0;
};

class choker {
 public:
  explicit choker(choker_options options = {});

  const choker_options& options() const { return options_; }

  // The time of the next rechoke (first one: `start` + rechoke_interval).
  void start(time_point start) { next_rechoke_ = start + options_.rechoke_interval; }
  time_point next_deadline() const { return next_rechoke_; }

  // Runs one rechoke: returns the set of connections that should be unchoked
  // (sorted by connection id). Advances the timer; rotates the optimistic unchoke
  // every optimistic_interval.
  std::vector<connection_id> rechoke(std::span<const choke_candidate> candidates, bool we_are_seed,
                                     time_point now, rng& random);

  std::optional<connection_id> optimistic() const { return optimistic_; }
  // A connection went away.
  void forget(connection_id c);

 private:
  choker_options options_;
  time_point next_rechoke_ = never;
  time_point next_optimistic_{};
  std::optional<connection_id> optimistic_;
};

}  // namespace swarmsim::protocol
