#pragma once
// What the HTTP tracker knows, for people: a snapshot of its torrents and peers,
// written as JSON (GET /stats) or drawn as text in a terminal (swarmsim tracker).
//
// A peer's progress comes from its last announce: 1 when it announced left == 0;
// otherwise 1 - left / size when the torrent's size is known (from a .torrent
// file, or estimated as the largest left + downloaded any peer announced), and
// unknown without a size.
//
// live_view redraws the same block of lines in place:
// 1. It writes only to its own stream, and only ASCII plus ANSI cursor controls.
// 2. Lines are cut to the terminal width so none wraps: the next redraw moves up
//    exactly as many lines as the last one wrote.
// 3. finish() leaves the last frame on screen; it runs at most once, and also
//    from the destructor.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::sim::real {

enum class size_source : std::uint8_t { unknown, estimated, torrent_file };

struct peer_snapshot {
  protocol::wire_peer_id peer{};
  protocol::endpoint address;
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t left = 0;
  double seconds_since_announce = 0;
  std::optional<double> progress;  // in [0, 1]
};

struct torrent_snapshot {
  protocol::sha1_hash info_hash{};
  std::string name;  // empty unless known from a .torrent file
  std::uint64_t size = 0;
  size_source size_from = size_source::unknown;
  std::uint32_t complete = 0;    // seeds
  std::uint32_t incomplete = 0;  // leechers
  std::uint32_t downloaded = 0;  // "completed" events
  std::vector<peer_snapshot> peers;
};

struct tracker_counters {
  std::uint64_t announces = 0;
  std::uint64_t scrapes = 0;
  std::uint64_t refused = 0;              // announces and scrapes answered with a failure reason
  std::uint64_t connections = 0;          // open now
  std::uint64_t evicted_connections = 0;  // closed to make room while waiting for a request
  std::uint64_t refused_connections = 0;  // closed at accept: table or address full
};

// `torrents` may list fewer torrents than torrent_count, and fewer peers than
// peer_count, when the snapshot is bounded (see http_tracker_options).
struct tracker_snapshot {
  std::string announce_url;
  double uptime_seconds = 0;
  tracker_counters counters;
  std::uint64_t torrent_count = 0;
  std::uint64_t peer_count = 0;
  std::vector<torrent_snapshot> torrents;
};

// A peer's progress from its announce (see the header comment).
std::optional<double> peer_progress(std::uint64_t left, std::uint64_t size, size_source from);

// The peer id's printable prefix, e.g. "-LT2080-" (other bytes as '.'), at most
// `length` characters.
std::string client_tag(const protocol::wire_peer_id& id, std::size_t length = 8);

// One JSON object; strings escaped; info hashes and peer ids as lower-case hex.
std::string to_json(const tracker_snapshot& s);

// The text frame: a header, then per torrent a summary line and one line per
// peer (seeds first, then by progress) with a progress bar. At most max_lines
// lines (a "... N more" line stands for peers cut), each at most width characters.
std::vector<std::string> render_view(const tracker_snapshot& s, std::size_t width,
                                     std::size_t max_lines);

class live_view {
 public:
  explicit live_view(std::FILE* out);
  ~live_view();
  live_view(const live_view&) = delete;
  live_view& operator=(const live_view&) = delete;

  // Replaces the previous frame with `lines` (each already cut to the width).
  void draw(const std::vector<std::string>& lines);
  // The screen changed under the view (it was not drawn for a while): the next
  // frame starts where the cursor is instead of replacing the previous one.
  void forget() { drawn_lines_ = 0; }
  void finish();

 private:
  std::FILE* out_;
  std::size_t drawn_lines_ = 0;
  bool finished_ = false;
};

}  // namespace swarmsim::sim::real
