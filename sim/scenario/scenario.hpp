#pragma once
// A simulation scenario: everything a run needs, with every default filled in.
//
// Loading, overrides and saving live in scenario_load.cpp, scenario_override.cpp
// and scenario_save.cpp, the fields in scenario_schema.cpp and
// scenario_group_schema.cpp; the file format is
// documented field by field in scenarios/README.md. Invariants of a scenario
// returned by load_scenario()/parse_scenario():
// 1. Every field holds a valid value: rates > 0; sizes, intervals and time limits
//    > 0; piece_size a multiple of block_size (torrent_geometry::validate);
//    optimistic_slots <= upload_slots; fractions in [0, 1]; poisson rate > 0;
//    class and site shares > 0 and adding up to 1; upload_cap >= 0; abort
//    probability in [0, 1], abort rate >= 0; lognormal sigma > 0.
// 2. Group names are unique, non-empty and not all digits (overrides address
//    groups by name or index); site names are unique and non-empty; every group
//    and link names an existing site; links join distinct sites, at most one link
//    per pair; every site reaches every other over the links.
// 3. Some group with count >= 1 has content all or partition, so every piece is
//    held by someone at the start (fraction groups alone are refused; the driver
//    re-checks at t=0).
// 4. parse_scenario(save_scenario(s)) == s.
// 5. The name works as a directory name (results/<name>): not empty, "." or
//    "..", and without '/', '\' or control characters.
// 6. The counts add up to at most max_peers.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/choker.hpp"
#include "protocol/peer.hpp"
#include "protocol/piece_picker.hpp"
#include "protocol/tracker.hpp"
#include "protocol/types.hpp"

namespace swarmsim::sim {

using protocol::duration;

struct torrent_spec {
  std::uint64_t size = 64ull * 1024 * 1024;  // bytes
  std::uint32_t piece_size = 256 * 1024;     // bytes
  std::uint32_t block_size = 16 * 1024;      // bytes

  friend bool operator==(const torrent_spec&, const torrent_spec&) = default;
};

// The tracker's settings, with protocol::tracker_options' defaults.
struct tracker_spec {
  std::uint32_t numwant = protocol::tracker_options{}.default_numwant;
  duration announce_interval = protocol::tracker_options{}.interval;
  duration min_interval = protocol::tracker_options{}.min_interval;
  duration expire_after = protocol::tracker_options{}.expire_after;
  duration latency = std::chrono::milliseconds(50);  // one way, peer <-> tracker

  friend bool operator==(const tracker_spec&, const tracker_spec&) = default;
};

struct site_spec {
  std::string name = "default";

  friend bool operator==(const site_spec&, const site_spec&) = default;
};

struct link_spec {  // an edge of the site graph
  std::string a;
  std::string b;
  duration latency{};  // one way

  friend bool operator==(const link_spec&, const link_spec&) = default;
};

struct network_spec {
  std::vector<site_spec> sites{site_spec{}};
  std::vector<link_spec> links;
  duration local_latency = std::chrono::milliseconds(10);  // one way, between peers of one site

  friend bool operator==(const network_spec&, const network_spec&) = default;
};

enum class content_kind : std::uint8_t {
  none,       // a leecher starting from nothing
  all,        // a seed
  fraction,   // each peer holds a random `fraction` of the pieces
  partition,  // the pieces are split at random across the group's peers (no full seed)
};

struct content_spec {
  content_kind kind = content_kind::none;
  double fraction = 0;  // for content_kind::fraction, in [0, 1]

  friend bool operator==(const content_spec&, const content_spec&) = default;
};

enum class arrival_kind : std::uint8_t {
  at,       // everyone at `start`
  uniform,  // uniformly over [start, start + window]
  poisson,  // Poisson process from `start` with `rate` per second, `count` peers in all
};

struct arrival_spec {
  arrival_kind kind = arrival_kind::at;
  duration start{};
  duration window{};  // uniform
  double rate = 1.0;  // poisson, arrivals per second

  friend bool operator==(const arrival_spec&, const arrival_spec&) = default;
};

enum class after_completion_kind : std::uint8_t {
  stay,      // seed forever
  seed_for,  // seed for a time drawn from `seed_time` (see seed_time_kind), then leave
  leave,     // leave at once
};

// How the seeding time of seed_for is drawn, per peer, at completion.
enum class seed_time_kind : std::uint8_t {
  fixed,        // exactly `seed_time`
  exponential,  // exponential with mean `seed_time` (Qiu & Srikant: departure rate 1/mean)
  lognormal,    // lognormal with median `seed_time` and shape `sigma` (mean = median e^(sigma^2/2))
};

struct after_completion_spec {
  after_completion_kind kind = after_completion_kind::stay;
  duration seed_time{};  // fixed time, mean or median (seed_for)
  seed_time_kind distribution = seed_time_kind::fixed;
  double sigma = 0;  // lognormal shape, > 0

  friend bool operator==(const after_completion_spec&, const after_completion_spec&) = default;
};

// Leechers that give up before completing (churn). Both parts may apply.
struct abort_spec {
  // Each leecher, with this probability, leaves when it holds a fraction of the
  // pieces drawn uniformly in [0, 1) at arrival (before completing, for sure).
  double probability = 0;
  // Each leecher's time to abort is exponential with this rate (per second; 0 =
  // never), drawn at arrival; it leaves then unless it completed first (Qiu &
  // Srikant's abort rate theta).
  double rate = 0;

  friend bool operator==(const abort_spec&, const abort_spec&) = default;
};

// One bandwidth class of a heterogeneous group (e.g. Bharambe et al.'s mix).
struct bandwidth_class {
  std::string name;     // peers.csv group column: "<group>/<name>"
  double share = 0;     // fraction of the group's peers, > 0; a group's shares add up to 1
  double upload = 0;    // bytes per second
  double download = 0;  // bytes per second

  friend bool operator==(const bandwidth_class&, const bandwidth_class&) = default;
};

// A group's peers spread over sites by share (instead of one `site`).
struct site_share {
  std::string site;
  double share = 0;  // > 0; a group's shares add up to 1

  friend bool operator==(const site_share&, const site_share&) = default;
};

struct group_spec {
  std::string name;
  std::uint32_t count = 1;
  content_spec content;            // none = leechers; all = seeds
  double upload = 1e6 / 8 * 10;    // bytes per second (10 Mbit/s)
  double download = 1e6 / 8 * 50;  // bytes per second (50 Mbit/s)
  std::string site = "default";
  arrival_spec arrival;
  after_completion_spec after_completion;
  std::optional<duration> leave_at;  // leave at this absolute time (e.g. the initial seed)
  abort_spec abort;                  // leechers giving up (churn)
  // Non-empty: each peer gets one class's upload/download (largest remainder by
  // share, shuffled with the group's content stream); upload/download above unused.
  std::vector<bandwidth_class> classes;
  // Non-empty: each peer is placed on one of these sites, by share as for
  // classes; `site` above is unused.
  std::vector<site_share> sites;
  // Payload upload cap, bytes per second (empty: the access link's upload).
  // 0 makes a free-rider: it unchokes nobody, but still sends HAVE and interest.
  std::optional<double> upload_cap;
  std::optional<std::uint32_t> numwant;  // peers asked per announce; none: the tracker's numwant
  // The peers' protocol options, with protocol::peer_options' defaults. The
  // scenario reads and writes picker, choker, neighbours, playback, pipeline_depth,
  // max_connections, max_initiate, min_peers, inactivity_timeout, reconnect_delay
  // and send_have (the group
  // fields of the same names); the other fields stay at their defaults and
  // peer_options_of takes them from the driver instead.
  protocol::peer_options peer;

  friend bool operator==(const group_spec&, const group_spec&) = default;
};

enum class stop_kind : std::uint8_t {
  all_complete,  // every leecher that arrived has completed or left, and no more arrivals
  time_limit,    // run until `time_limit`
};

enum class trace_kind : std::uint8_t {
  unchoke,   // a peer chokes or unchokes a remote
  interest,  // a peer becomes interested or not interested in a remote
};

struct simulation_spec {
  std::uint64_t seed = 1;
  stop_kind stop = stop_kind::all_complete;
  duration time_limit = std::chrono::hours(24);  // hard cap in every mode
  duration sample_interval = std::chrono::seconds(1);
  // Overlay metrics (overlay.csv) every this often; empty: off.
  std::optional<duration> overlay_interval;
  // Per-peer state changes written to traces.csv (sorted, no duplicates); none
  // by default, for speed.
  std::vector<trace_kind> trace;

  friend bool operator==(const simulation_spec&, const simulation_spec&) = default;
};

struct scenario {
  std::string name = "scenario";
  std::string description;
  torrent_spec torrent;
  tracker_spec tracker;
  network_spec network;
  std::vector<group_spec> groups;
  simulation_spec simulation;

  friend bool operator==(const scenario&, const scenario&) = default;
};

// The most peers a scenario may hold in all (a scenario's counts summed): a
// million peers already take about a gigabyte and a minute per simulated second.
inline constexpr std::uint64_t max_peers = 10'000'000;

// The largest scenario file load_scenario reads (1 MiB; the scenarios shipped
// are a few KiB): a larger one, or an endless one such as /dev/zero, is refused.
inline constexpr std::size_t max_scenario_file_size = 1 << 20;

// A bad scenario. what() is `file:line:column: message` (1-based) for a problem in
// the file, `--set key.path=value: message` for a problem with an override, and
// `file: cannot open: reason` for a file that cannot be read.
class scenario_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads a scenario file (schema: scenarios/README.md). `overrides` ("key.path=value",
// e.g. "simulation.seed=7", "groups.leechers.count=20", "groups.0.picker.policy=sequential";
// a list element by name or index) are applied to the YAML tree before validation,
// so they are checked like the file. Throws scenario_error.
scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {});
// The same for YAML text; `source_name` stands for the file name in errors.
scenario parse_scenario(const std::string& yaml_text, const std::string& source_name,
                        const std::vector<std::string>& overrides = {});
// The resolved scenario as YAML, every field written out (defaults included, no
// `defaults:` block); parse_scenario(save_scenario(s), ...) == s.
std::string save_scenario(const scenario& s);

// The protocol options of group `g`'s peers: `base` (the driver's own settings)
// with the fields the scenario sets from `g.peer` and the tracker's announce
// interval. A group with upload_cap 0 (free-riders) unchokes nobody.
protocol::peer_options peer_options_of(const group_spec& g, const tracker_spec& t,
                                       protocol::peer_options base = {});

}  // namespace swarmsim::sim
