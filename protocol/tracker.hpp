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
// 7. Each tracked peer has exactly one live expiry entry, stamped at or before
//    its last announce, in a min-heap: a re-announce pushes nothing; an entry
//    that surfaces with an old stamp is re-pushed with the peer's last announce.
//    Entries of removed peers are skipped when they surface, and the heap is
//    rebuilt from the live entries when it holds more than twice as many
//    entries as peers (plus a constant): memory O(peers), O(log n) per new peer.
// 8. A torrent is tracked only while it has peers: the first announce that is
//    not "stopped" creates it; it is dropped, with its "downloaded" count, when
//    its last peer leaves ("stopped") or expires.
// 9. allowed_torrents set: an announce for any other torrent is refused
//    (announce_refusal::unlisted_torrent) and changes nothing.
// 10. At most max_torrents torrents are tracked: an announce that would create
//    one more is refused (announce_refusal::torrent_limit) and changes nothing.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
  // Rule 10; each tracked torrent costs a few hundred bytes plus its peers.
  std::uint32_t max_torrents = 100'000;
  // Rule 9: nullopt tracks any torrent; otherwise only these.
  std::optional<std::vector<sha1_hash>> allowed_torrents{};
};

// Why an announce was refused (announce_response::failure holds to_string of it).
enum class announce_refusal : std::uint8_t { unlisted_torrent, torrent_limit };
// The failure reason sent to the client.
std::string_view to_string(announce_refusal r);

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
  std::optional<std::string> failure;       // set: the announce was refused
  std::optional<announce_refusal> refusal;  // set with failure by the tracker
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
  // The first `limit` tracked torrents by info hash.
  std::vector<sha1_hash> torrents(
      std::size_t limit = std::numeric_limits<std::size_t>::max()) const;
  std::size_t torrent_count() const;
  std::size_t peer_count() const;  // over every torrent
  // At most `limit` of the torrent's peers, in no particular order.
  std::vector<tracked_peer> peers(
      const sha1_hash& info_hash,
      std::size_t limit = std::numeric_limits<std::size_t>::max()) const;

  // Expiry timer: the earliest time a peer could expire (nullopt: no peers).
  std::optional<time_point> next_deadline() const;
  // Removes peers whose last announce is older than expire_after; returns how many.
  std::size_t on_deadline(time_point now);
  // Throws std::logic_error naming the first invariant (1, 2, 7, 8, 10 above,
  // and the swarm tables behind them) that does not hold, with the offending values.
  // O(peers + expiry entries): for tests and checked simulator builds.
  void check_invariants() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace swarmsim::protocol
