// Every field of the scenario schema survives a save and a load: a scenario
// with every option away from its default is loaded, saved and loaded again,
// and the two are equal field by field; saving again gives the same text.

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <string>

#include <yaml-cpp/yaml.h>

#include "sim/scenario/scenario.hpp"
#include "sim/scenario/scenario_yaml.hpp"

namespace swarmsim::sim {
namespace {

// Between them, the groups set every group field to something else than its
// default, and every top-level field differs from its default too.
constexpr const char* every_option = R"(
name: roundtrip
description: "every option: not its default"
torrent: {size: 3MB, piece_size: 64KiB, block_size: 8KiB}
tracker: {numwant: 33, announce_interval: 7min, min_interval: 90s, expire_after: 1h, latency: 7ms}
network:
  sites: [eu, us, {name: asia}]
  links: [{a: eu, b: us, latency: 40ms}, {a: asia, b: us, latency: 1ms}]
  local_latency: 2ms
defaults: {download: 20Mbit/s}
groups:
  - name: seed
    count: 2
    content: all
    upload: 3Mbit/s
    site: eu
    upload_cap: 1Mbit/s
    arrival: {at: 5s}
    after_completion: leave
    leave_at: 1h
    abort: {probability: 0.1, rate: 1/h}
    picker: {policy: sequential, random_first_pieces: 2, finish_started_first: false,
             endgame: false, max_endgame_duplicates: 3}
    choker: {upload_slots: 6, optimistic_slots: 2, rechoke_interval: 5s,
             optimistic_interval: 20s, snub_timeout: 40s, new_peer_window: 10s,
             new_peer_weight: 2, seed_mode: fastest_upload, round_robin_bytes: 1MiB,
             round_robin_min_time: 30s, round_robin_max_time: 3min, super_seeding: true}
    pipeline_depth: 7
    max_connections: 60
    max_initiate: 30
    min_peers: 10
    inactivity_timeout: 5min
    reconnect_delay: 30s
    send_have: lacking
    playback: {bitrate: 1Mbit/s, start: {buffered: 3s}}
  - name: crowd
    count: 10
    content: {fraction: 0.25}
    sites: {eu: 0.5, us: 0.25, asia: 0.25}
    classes: [{name: slow, share: 0.5, upload: 1Mbit, download: 2Mbit},
              {name: fast, share: 0.5, upload: 5Mbit, download: 9Mbit}]
    arrival: {poisson: {start: 3s, rate: 2/s}}
    after_completion: {seed_for: {lognormal: {median: 1min, sigma: 1.5}}}
    picker: {policy: random}
    playback: {bitrate: 2Mbit/s, start: {first_pieces: 2}, skip_after: 3s, offset: 5s}
    choker: {upload_slots: auto, policy: strict_tft, slots: 3, bootstrap: 1, min_rate: 2KiB/s,
             interval: 7s}
  - name: part
    count: 3
    content: partition
    site: us
    upload_cap: 0
    numwant: 120
    neighbours: {policy: large_view, connections: 90, announce_every: 2min}
    arrival: {uniform: {start: 1s, window: 10s}}
    after_completion: {seed_for: {exponential: 2min}}
  - {name: fixed, count: 2, site: asia, after_completion: {seed_for: 30s}}
simulation: {seed: 9, stop: time_limit, time_limit: 2h, sample_interval: 2s,
             overlay_interval: 10s, trace: [interest, unchoke]}
)";

void expect_equal_field_by_field(const scenario& a, const scenario& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_TRUE(a.torrent == b.torrent);
  EXPECT_TRUE(a.tracker == b.tracker);
  EXPECT_TRUE(a.network == b.network);
  EXPECT_TRUE(a.simulation == b.simulation);
  ASSERT_EQ(a.groups.size(), b.groups.size());
  for (std::size_t i = 0; i < a.groups.size(); ++i) {
    SCOPED_TRACE(a.groups[i].name);
    const group_spec& x = a.groups[i];
    const group_spec& y = b.groups[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.count, y.count);
    EXPECT_TRUE(x.content == y.content);
    EXPECT_EQ(x.upload, y.upload);
    EXPECT_EQ(x.download, y.download);
    EXPECT_EQ(x.site, y.site);
    EXPECT_TRUE(x.sites == y.sites);
    EXPECT_TRUE(x.classes == y.classes);
    EXPECT_EQ(x.upload_cap, y.upload_cap);
    EXPECT_EQ(x.numwant, y.numwant);
    EXPECT_TRUE(x.arrival == y.arrival);
    EXPECT_TRUE(x.after_completion == y.after_completion);
    EXPECT_EQ(x.leave_at, y.leave_at);
    EXPECT_TRUE(x.abort == y.abort);
    EXPECT_TRUE(x.peer.picker == y.peer.picker);
    EXPECT_TRUE(x.peer.choker == y.peer.choker);
    EXPECT_TRUE(x.peer.neighbours == y.peer.neighbours);
    EXPECT_TRUE(x.peer == y.peer);
  }
  EXPECT_TRUE(a == b);
}

TEST(scenario_roundtrip, every_option_survives_a_save_and_a_load) {
  const scenario first = parse_scenario(every_option, "every.yaml");
  const std::string text = save_scenario(first);
  const scenario second = parse_scenario(text, "saved.yaml");
  expect_equal_field_by_field(first, second);
  EXPECT_EQ(save_scenario(second), text);
}

// Calls `leaf(path, value)` for each scalar or list under `node`; list elements
// of `groups` are named "groups.*", so that every group shares its paths.
void for_each_leaf(const YAML::Node& node, const std::string& path,
                   const std::function<void(const std::string&, const YAML::Node&)>& leaf) {
  if (!node.IsMap()) return leaf(path, node);
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string at = path.empty() ? key : path + "." + key;
    if (key == "groups") {
      for (const auto& g : kv.second)
        for_each_leaf(g, "groups.*", leaf);
    } else {
      for_each_leaf(kv.second, at, leaf);
    }
  }
}

// How many times each "path=value" leaf occurs in a saved scenario (once per
// group for a group's fields).
std::map<std::string, int> leaves(const std::string& saved) {
  std::map<std::string, int> out;
  for_each_leaf(YAML::Load(saved), "", [&](const std::string& path, const YAML::Node& value) {
    ++out[path + "=" + YAML::Dump(value)];
  });
  return out;
}

// Guards the test above: a field added to the schema must be given a value
// other than its default there (else it would round-trip only its default).
TEST(scenario_roundtrip, every_option_leaves_no_field_at_its_default) {
  scenario plain;  // every default, one default group (saved, never checked)
  plain.groups.emplace_back();
  const scenario s = parse_scenario(every_option, "every.yaml");
  const auto every = leaves(save_scenario(s));
  const int groups = static_cast<int>(s.groups.size());
  for (const auto& [leaf, n] : leaves(save_scenario(plain))) {
    const auto found = every.find(leaf);
    const int count = found == every.end() ? 0 : found->second;
    // A group's field: some group sets it; another field: it is set.
    EXPECT_LT(count, leaf.starts_with("groups.*.") ? groups : 1) << leaf << " keeps its default";
  }

  // Fields written only when set (a group's sites and classes) are written.
  std::set<std::string> written;
  const YAML::Node saved = YAML::Load(save_scenario(s));
  for (const auto& kv : saved)
    written.insert(kv.first.Scalar());
  for (const auto& g : saved["groups"])
    for (const auto& kv : g)
      written.insert("groups.*." + kv.first.Scalar());
  for (const auto& f : scenario_yaml::scenario_fields())
    EXPECT_TRUE(!f.write || written.contains(std::string(f.key))) << f.key;
  for (const auto& f : scenario_yaml::group_fields())
    EXPECT_TRUE(!f.write || written.contains("groups.*." + std::string(f.key))) << f.key;
}

// The group's protocol options reach the peers: every field the scenario sets
// in `peer` comes out of peer_options_of, with the tracker's announce interval.
TEST(scenario_roundtrip, peer_options_of_carries_every_protocol_option) {
  const scenario s = parse_scenario(every_option, "every.yaml");
  const group_spec& seed = s.groups.front();
  protocol::peer_options expected = seed.peer;
  expected.announce_interval = s.tracker.announce_interval;
  expected.numwant = s.tracker.numwant;  // the group asks for the tracker's
  EXPECT_TRUE(peer_options_of(seed, s.tracker) == expected);
  const group_spec& part = s.groups.at(2);
  ASSERT_EQ(part.name, "part");
  EXPECT_EQ(peer_options_of(part, s.tracker).numwant, 120u);  // its own
}

}  // namespace
}  // namespace swarmsim::sim
