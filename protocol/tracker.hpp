#pragma once
// Tracker logic (BEP 3 announce, BEP 48 scrape view) for any number of torrents,
// independent of HTTP: the real-socket mode parses HTTP into announce_request,
// the simulator builds announce_request directly.
//
// API CONTRACT (implementation in tracker.cpp). Invariants:
// 1. A torrent's swarm holds each peer (keyed by wire peer id) at most once.
// 2. complete + incomplete == number of peers in the swarm; a peer is complete
//    when it announced left == 0.
// 3. downloaded counts "completed" events (once per peer).
// 4. A peer that has not announced for expire_after is removed (on_deadline);
//    a "stopped" announce removes it at once.
// 5. A response never lists the asking peer and lists at most numwant peers,
//    chosen uniformly at random without repetition (the tracker's own generator,
//    seeded from the constructor's seed; O(numwant) per announce, partial
//    Fisher-Yates). numwant = nullopt means default_numwant; it is clamped to
//    max_numwant; 0 gives no peers.
// 6. A "stopped" announce returns the counts and no peers; for a torrent never
//    seen it does not create the torrent.
// 7. Expiry costs O(log n) per announce: a min-heap of (last announce, peer)
//    whose stale entries are skipped lazily.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::protocol {

enum class announce_event : std::uint8_t { none, started, completed, stopped };

struct tracker_options {
  duration interval = std::chrono::seconds(300);  // re-announce interval sent to peers
  duration min_interval = std::chrono::seconds(60);
  duration expire_after = std::chrono::seconds(900);  // ~3 missed re-announces
  std::uint32_t default_numwant = 50;                 // mainline default
  std::uint32_t max_numwant = 200;
};

struct announce_request {
  sha1_hash info_hash{};
  wire_peer_id peer{};
  endpoint address;
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t left = 0;
  announce_event event = announce_event::none;
  std::optional<std::uint32_t> numwant;  // nullopt: default_numwant
};

struct peer_entry {
  wire_peer_id peer{};
  endpoint address;
  friend bool operator==(const peer_entry&, const peer_entry&) = default;
};

struct announce_response {
  std::optional<std::string> failure;  // set: the announce was refused
  duration interval{};
  duration min_interval{};
  std::uint32_t complete = 0;    // seeders
  std::uint32_t incomplete = 0;  // leechers
  std::vector<peer_entry> peers;
};

struct scrape_entry {
  std::uint32_t complete = 0;
  std::uint32_t incomplete = 0;
  std::uint32_t downloaded = 0;
};

// One peer as the tracker knows it (for live views and tests).
struct tracked_peer {
  wire_peer_id peer{};
  endpoint address;
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t left = 0;
  time_point last_announce{};
};

class tracker {
 public:
  tracker(tracker_options options, std::uint64_t seed);
  ~tracker();
  tracker(tracker&&) noexcept;
  tracker& operator=(tracker&&) noexcept;

  const tracker_options& options() const;

  announce_response announce(const announce_request& request, time_point now);
  // nullopt for a torrent the tracker has never seen.
  std::optional<scrape_entry> scrape(const sha1_hash& info_hash) const;
  // Sorted by info hash.
  std::vector<sha1_hash> torrents() const;
  std::vector<tracked_peer> peers(const sha1_hash& info_hash) const;

  // Expiry timer: the earliest time a peer could expire (nullopt: no peers).
  std::optional<time_point> next_deadline() const;
  // Removes peers whose last announce is older than expire_after; returns how many.
  std::size_t on_deadline(time_point now);
  // Throws std::logic_error naming the first invariant (1, 2, 7 above, and the
  // swarm tables behind them) that does not hold, with the offending values.
  // O(peers + expiry entries): for tests and checked simulator builds.
  void check_invariants() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace swarmsim::protocol
