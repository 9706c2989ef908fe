#pragma once
// `swarmsim download FILE.torrent --out DIR`: fetches the torrent's content into
// DIR/NAME.part (resuming from whatever verified pieces are already there),
// checks every piece's SHA-1, and renames it to DIR/NAME once complete. run_download
// is the command without its command line, for in-process use (tests).

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/real/network/peer_host.hpp"

namespace swarmsim::sim::real {

struct download_settings {
  std::filesystem::path torrent;
  std::filesystem::path out;
  std::string listen = "127.0.0.1:0";
  double upload_rate = 0;  // bytes per second; 0: unlimited
  protocol::encryption_policy encryption = protocol::encryption_policy::enabled;
  double download_rate = 0;
  std::vector<std::string> peers;  // "HOST:PORT" to connect to besides the tracker's
  std::optional<std::chrono::milliseconds> timeout;  // give up (exit 1) after this long
  bool quiet = false;
  bool stream = false;  // --stream: a streaming picker unless one is named
  std::optional<std::chrono::milliseconds> start_buffer;  // --start-buffer
  protocol::peer_options peer = real_peer_options();      // peer.playback: play along (--bitrate)
  // Polled a few times a second; true ends the run as an interruption (exit 1).
  std::function<bool()> should_stop;
};

// Where the finished content goes, and where it is kept while incomplete.
std::filesystem::path download_path(const std::filesystem::path& out, const std::string& name);
std::filesystem::path partial_path(const std::filesystem::path& out, const std::string& name);

// The line `download` prints about its viewer (settings.peer.playback) at the
// end: startup delay, stalls, continuity, skipped pieces.
std::string playback_report(const protocol::playback_metrics& m);

// Exit code: 0 once the content is complete and verified; 2 for a bad .torrent or
// option; 1 for a failure (interrupted, timed out, storage error).
int run_download(const download_settings& settings);

}  // namespace swarmsim::sim::real
