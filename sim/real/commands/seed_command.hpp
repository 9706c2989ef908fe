#pragma once
// `swarmsim seed FILE.torrent --data PATH`: checks the data against the torrent,
// then serves it to the swarm until interrupted. run_seed is the command without
// its command line, for in-process use (tests).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/real/network/peer_host.hpp"

namespace swarmsim::sim::real {

struct seed_settings {
  std::filesystem::path torrent;
  std::filesystem::path data;
  std::string listen = "127.0.0.1:0";
  std::vector<std::string> peers;  // HOST:PORT to dial, besides the tracker's list
  double upload_rate = 0;          // bytes per second; 0: unlimited
  protocol::encryption_policy encryption = protocol::encryption_policy::enabled;
  std::optional<std::chrono::milliseconds> run_for;  // nullopt: until SIGINT/SIGTERM
  bool quiet = false;
  protocol::peer_options peer = real_peer_options();
  // Polled a few times a second; true ends the run (exit 0).
  std::function<bool()> should_stop;
  // Called once the data is checked and the peer listens on `port`.
  std::function<void(std::uint16_t port)> on_listening;
};

// Exit code: 0 after a clean stop; 2 for a bad .torrent, data that does not
// match it, or a bad option; 1 for other failures.
int run_seed(const seed_settings& settings);

}  // namespace swarmsim::sim::real
