#include "sim/scenario/scenario.hpp"
#include "scenario_error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace swarmsim::sim {
namespace {

using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::StartsWith;

constexpr double mbit = 1e6 / 8;  // bytes per second in 1 Mbit/s

// The smallest valid scenario: one seed.
constexpr const char* one_seed = "groups: [{name: seed, role: seed}]\n";

// A YAML text with one '@' marking where an error should point. text() is the
// YAML without it; where() is "test.yaml:LINE:COLUMN" of the mark (1-based).
class marked {
 public:
  explicit marked(std::string_view yaml) {
    const auto at = yaml.find('@');
    text_ = std::string(yaml.substr(0, at)) + std::string(yaml.substr(at + 1));
    const std::string_view before = yaml.substr(0, at);
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    const auto line_start = before.rfind('\n');
    const auto column = at - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    where_ = "test.yaml:" + std::to_string(line) + ":" + std::to_string(column);
  }
  const std::string& text() const { return text_; }
  std::string where(std::string_view message) const { return where_ + ": " + std::string(message); }
  std::string error() const { return error_of(text_); }

 private:
  std::string text_;
  std::string where_;
};

// ---- reading ------------------------------------------------------------------

TEST(scenario, a_full_file_reads_to_the_values_it_gives) {
  const scenario s = parse_scenario(R"(
name: full
description: every field
torrent: {size: 100MB, piece_size: 512KiB, block_size: 32KiB}
tracker: {numwant: 80, announce_interval: 10min, min_interval: 2min, expire_after: 30min,
          latency: 25ms}
network:
  sites: [eu, {name: us}]
  links: [{a: eu, b: us, latency: 40ms}]
  local_latency: 5ms
groups:
  - name: seeds
    count: 2
    content: all
    upload: 100Mbit/s
    download: 1Gbit
    site: us
    arrival: {at: 30s}
    after_completion: leave
    leave_at: 1h
    picker: {policy: sequential, random_first_pieces: 0, finish_started_first: false,
             endgame: false, max_endgame_duplicates: 5}
    choker: {upload_slots: 8, optimistic_slots: 2, rechoke_interval: 15s,
             optimistic_interval: 45s, snub_timeout: 30s, new_peer_window: 20s,
             new_peer_weight: 2, seed_mode: fastest_upload, round_robin_bytes: 4MiB,
             round_robin_min_time: 2min}
    pipeline_depth: 10
    max_connections: 80
    max_initiate: 30
    min_peers: 12
    inactivity_timeout: 5min
    reconnect_delay: 0s
  - name: part
    count: 3
    content: partition
    site: eu
    arrival: {uniform: {start: 10s, window: 1min}}
  - name: some
    count: 4
    content: {fraction: 0.25}
    site: eu
    arrival: {poisson: {start: 1s, rate: 30/min}}
    after_completion: {seed_for: 10min}
simulation: {seed: 7, stop: time_limit, time_limit: 3h, sample_interval: 500ms}
)",
                                    "full.yaml");
  EXPECT_EQ(s.name, "full");
  EXPECT_EQ(s.description, "every field");
  EXPECT_EQ(s.torrent, (torrent_spec{100'000'000, 512 * 1024, 32 * 1024}));
  EXPECT_EQ(s.tracker, (tracker_spec{80, 10min, 2min, 30min, 25ms}));
  EXPECT_EQ(s.network.sites, (std::vector<site_spec>{{"eu"}, {"us"}}));
  EXPECT_EQ(s.network.links, (std::vector<link_spec>{{"eu", "us", 40ms}}));
  EXPECT_EQ(s.network.local_latency, 5ms);
  EXPECT_EQ(s.simulation, (simulation_spec{7, stop_kind::time_limit, 3h, 500ms, {}, {}}));
  ASSERT_EQ(s.groups.size(), 3u);

  const group_spec& seeds = s.groups[0];
  EXPECT_EQ(seeds.name, "seeds");
  EXPECT_EQ(seeds.count, 2u);
  EXPECT_EQ(seeds.content.kind, content_kind::all);
  EXPECT_EQ(seeds.upload, 100 * mbit);
  EXPECT_EQ(seeds.download, 1000 * mbit);
  EXPECT_EQ(seeds.site, "us");
  EXPECT_EQ(seeds.arrival, (arrival_spec{arrival_kind::at, 30s, {}, 1.0}));
  EXPECT_EQ(seeds.after_completion.kind, after_completion_kind::leave);
  EXPECT_EQ(seeds.leave_at, std::optional<duration>(1h));
  EXPECT_EQ(seeds.peer.picker.policy.name(), "sequential");
  EXPECT_EQ(seeds.peer.picker.random_first_pieces, 0u);
  EXPECT_FALSE(seeds.peer.picker.finish_started_first);
  EXPECT_FALSE(seeds.peer.picker.endgame);
  EXPECT_EQ(seeds.peer.picker.max_endgame_duplicates, 5u);
  EXPECT_EQ(seeds.peer.choker.upload_slots, 8u);
  EXPECT_EQ(seeds.peer.choker.optimistic_slots, 2u);
  EXPECT_EQ(seeds.peer.choker.rechoke_interval, 15s);
  EXPECT_EQ(seeds.peer.choker.optimistic_interval, 45s);
  EXPECT_EQ(seeds.peer.choker.snub_timeout, 30s);
  EXPECT_EQ(seeds.peer.choker.new_peer_window, 20s);
  EXPECT_EQ(seeds.peer.choker.new_peer_weight, 2u);
  EXPECT_EQ(seeds.peer.choker.seed_mode, protocol::seed_choking::fastest_upload);
  EXPECT_EQ(seeds.peer.choker.round_robin_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(seeds.peer.choker.round_robin_min_time, 2min);
  EXPECT_EQ(seeds.peer.pipeline_depth, 10u);
  EXPECT_EQ(seeds.peer.max_connections, 80u);
  EXPECT_EQ(seeds.peer.max_initiate, 30u);
  EXPECT_EQ(seeds.peer.min_peers, 12u);
  EXPECT_EQ(seeds.peer.inactivity_timeout, 5min);
  EXPECT_EQ(seeds.peer.reconnect_delay, 0s);
  EXPECT_EQ(s.groups[1].peer.inactivity_timeout, 10min);  // defaults
  EXPECT_EQ(s.groups[1].peer.reconnect_delay, 1min);
  EXPECT_EQ(s.groups[1].peer.min_peers, 20u);
  const auto o = peer_options_of(seeds, s.tracker);
  EXPECT_EQ(o.min_peers, 12u);
  EXPECT_EQ(o.inactivity_timeout, 5min);
  EXPECT_EQ(o.reconnect_delay, 0s);
  EXPECT_EQ(o.max_initiate, 30u);
  EXPECT_EQ(o.announce_interval, 10min);

  EXPECT_EQ(s.groups[1].content.kind, content_kind::partition);
  EXPECT_EQ(s.groups[1].arrival, (arrival_spec{arrival_kind::uniform, 10s, 1min, 1.0}));
  EXPECT_EQ(s.groups[2].content, (content_spec{content_kind::fraction, 0.25}));
  EXPECT_EQ(s.groups[2].arrival, (arrival_spec{arrival_kind::poisson, 1s, {}, 0.5}));
  EXPECT_EQ(s.groups[2].after_completion,
            (after_completion_spec{after_completion_kind::seed_for, 10min}));
}

TEST(scenario, missing_fields_take_their_defaults) {
  const scenario s = parse_scenario(one_seed, "test.yaml");
  scenario expected;
  group_spec seed;
  seed.name = "seed";
  seed.content.kind = content_kind::all;
  expected.groups = {seed};
  EXPECT_EQ(s, expected);
  EXPECT_EQ(s.groups[0].site, "default");
}

TEST(scenario, role_is_shorthand_for_content) {
  const scenario s = parse_scenario(
      "groups: [{name: s, role: seed}, {name: l, role: leecher, count: 3}]", "test.yaml");
  EXPECT_EQ(s.groups[0].content.kind, content_kind::all);
  EXPECT_EQ(s.groups[1].content.kind, content_kind::none);
}

TEST(scenario, the_defaults_block_applies_to_every_group_that_does_not_override_it) {
  const scenario s = parse_scenario(R"(
defaults:
  upload: 2Mbit
  count: 5
  choker: {upload_slots: 8, optimistic_slots: 2}
  arrival: {uniform: {window: 1min}}
groups:
  - {name: seed, role: seed, count: 1, arrival: {at: 0s}}
  - name: fast
    upload: 20Mbit
    choker: {seed_mode: fastest_upload}
  - name: plain
)",
                                    "test.yaml");
  ASSERT_EQ(s.groups.size(), 3u);
  const auto& seed = s.groups[0];
  const auto& fast = s.groups[1];
  const auto& plain = s.groups[2];
  EXPECT_EQ(seed.count, 1u);
  EXPECT_EQ(seed.arrival, arrival_spec{});
  EXPECT_EQ(seed.upload, 2 * mbit);
  EXPECT_EQ(fast.upload, 20 * mbit);
  EXPECT_EQ(fast.count, 5u);
  // Choker options are inherited one by one.
  EXPECT_EQ(fast.peer.choker.seed_mode, protocol::seed_choking::fastest_upload);
  EXPECT_EQ(fast.peer.choker.upload_slots, 8u);
  EXPECT_EQ(fast.peer.choker.optimistic_slots, 2u);
  EXPECT_EQ(plain.upload, 2 * mbit);
  EXPECT_EQ(plain.count, 5u);
  EXPECT_EQ(plain.peer.choker.seed_mode, protocol::choker_options{}.seed_mode);
  EXPECT_EQ(plain.arrival, (arrival_spec{arrival_kind::uniform, 0s, 1min, 1.0}));
  EXPECT_EQ(plain.download, group_spec{}.download);
}

TEST(scenario, upload_slots_auto_scales_with_the_upload_and_survives_a_save) {
  const scenario s = parse_scenario(R"(
defaults: {choker: {upload_slots: auto}}
groups:
  - {name: seed, role: seed, count: 1}
  - {name: fixed, choker: {upload_slots: 6}}
)",
                                    "test.yaml");
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[0].peer.choker.slots, protocol::slots_mode::automatic);
  EXPECT_EQ(s.groups[1].peer.choker.slots, protocol::slots_mode::fixed);
  EXPECT_EQ(s.groups[1].peer.choker.upload_slots, 6u);
  const std::string text = save_scenario(s);
  EXPECT_THAT(text, HasSubstr("upload_slots: auto"));
  const scenario again = parse_scenario(text, "resolved.yaml");
  EXPECT_EQ(again, s);
  scenario fixed = s;
  fixed.groups[0].peer.choker.slots = protocol::slots_mode::fixed;
  EXPECT_NE(fixed, s);
}

TEST(scenario, a_network_with_one_site_puts_every_group_there) {
  const scenario s =
      parse_scenario("network: {sites: [lab]}\ngroups: [{name: s, role: seed}]", "test.yaml");
  EXPECT_EQ(s.groups[0].site, "lab");
}

// ---- errors -------------------------------------------------------------------

TEST(scenario_errors, yaml_syntax) {
  const marked m("name: x\n b@: 2\n");
  EXPECT_THAT(m.error(), StartsWith(m.where("")));
  const marked flow("groups: [{name: s, role: seed}\n@");
  EXPECT_THAT(flow.error(), StartsWith(flow.where("")));
}

TEST(scenario_errors, yaml_syntax_errors_point_at_tabs_and_escape_control_characters) {
  const marked tab("groups:\n\t@- {name: s, role: seed}\n");
  EXPECT_THAT(tab.error(), StartsWith(tab.where("")));
  EXPECT_THAT(tab.error(), HasSubstr("a tab indents this line"));
  const std::string garbage = error_of(std::string("name: \"a\\\x01\"\n"));
  EXPECT_THAT(garbage, StartsWith("test.yaml:1:"));
  EXPECT_THAT(garbage, HasSubstr("\\x01"));
  EXPECT_EQ(garbage.find('\x01'), std::string::npos);
}

TEST(scenario_errors, merge_keys_are_not_supported_and_say_so) {
  const marked m("defaults: &d {upload: 1Mbit}\ngroups: [{@<<: *d, name: s, role: seed}]\n");
  EXPECT_THAT(m.error(), StartsWith(m.where("unknown key '<<' (YAML merge keys are not")));
}

TEST(scenario_errors, unknown_keys_suggest_the_closest_known_one) {
  const marked m(R"(groups:
  - name: s
    role: seed
    @uplaod: 5Mbit
)");
  EXPECT_EQ(m.error(), m.where("unknown key 'uplaod' (did you mean 'upload'?)"));
  const marked top("@simulaton: {seed: 1}\ngroups: [{name: s, role: seed}]");
  EXPECT_EQ(top.error(), top.where("unknown key 'simulaton' (did you mean 'simulation'?)"));
  const marked far("groups: [{name: s, role: seed, @colour: red}]");
  EXPECT_EQ(far.error(), far.where("unknown key 'colour'"));
}

TEST(scenario_errors, duplicate_keys) {
  const marked m("groups: [{name: s, role: seed}]\n@groups: []\n");
  EXPECT_EQ(m.error(), m.where("duplicate key 'groups' (first given at line 1)"));
}

TEST(scenario_errors, wrong_types) {
  const marked count("groups: [{name: s, role: seed, count: @lots}]");
  EXPECT_EQ(count.error(), count.where("count: expected a whole number, got 'lots'"));
  const marked negative("groups: [{name: s, role: seed, count: @-2}]");
  EXPECT_EQ(negative.error(), negative.where("count: must not be negative, got '-2'"));
  const marked list("groups: @{name: s}");
  EXPECT_EQ(list.error(), list.where("groups: expected a list of groups, got a map"));
  const marked map("groups: [{name: s, role: seed, picker: @fast}]");
  EXPECT_EQ(map.error(), map.where("picker: expected a map of piece picker options, got a value"));
  const marked flag("groups: [{name: s, role: seed, picker: {endgame: @maybe}}]");
  EXPECT_EQ(flag.error(), flag.where("endgame: expected true or false, got 'maybe'"));
  const marked choice("groups: [{name: s, role: seed, picker: {policy: @rarest}}]");
  EXPECT_EQ(choice.error(),
            choice.where("policy: unknown picker 'rarest' (did you mean 'rarest_first'?) "
                         "(registered: rarest_first, sequential, random, sequential_fallback, "
                         "bitos, hybrid, deadline; "
                         "`swarmsim strategies` "
                         "lists them with their parameters)"));
}

TEST(scenario_errors, max_connections_is_bounded_both_ways) {
  // At most Linux's default ceiling on a process's open files (protocol/peer.hpp).
  const marked many("groups: [{name: s, role: seed, max_connections: @1048577}]");
  EXPECT_EQ(many.error(), many.where("max_connections: 1048577 is too large (at most 1048576)"));
  const marked none("groups: [{name: s, role: seed, max_connections: @0}]");
  EXPECT_EQ(none.error(), none.where("max_connections: must be at least 1, got 0"));
  EXPECT_NO_THROW(
      parse_scenario("groups: [{name: s, role: seed, max_connections: 1048576}]", "test.yaml", {}));
}

TEST(scenario_errors, bad_units) {
  const marked rate("groups: [{name: s, role: seed, upload: @10 Mbitz}]");
  EXPECT_THAT(rate.error(), StartsWith(rate.where("upload: unknown rate unit 'Mbitz'")));
  const marked size("torrent: {size: @5 parsecs}\ngroups: [{name: s, role: seed}]");
  EXPECT_THAT(size.error(), StartsWith(size.where("size: unknown size unit 'parsecs'")));
  const marked time("simulation: {time_limit: @1 fortnight}\ngroups: [{name: s, role: seed}]");
  EXPECT_THAT(time.error(), StartsWith(time.where("time_limit: unknown duration unit")));
}

TEST(scenario_errors, rates_must_be_positive) {
  const marked zero("groups: [{name: s, role: seed, upload: @0}]");
  EXPECT_EQ(zero.error(), zero.where("upload: rate must be greater than 0"));
  const marked negative("groups: [{name: s, role: seed, download: @-1Mbit}]");
  EXPECT_EQ(negative.error(), negative.where("download: rate '-1Mbit' must not be negative"));
  const marked interval("groups: [{name: s, role: seed, choker: {rechoke_interval: @0s}}]");
  EXPECT_EQ(interval.error(), interval.where("rechoke_interval: duration must be greater than 0"));
  const marked idle("groups: [{name: s, role: seed, inactivity_timeout: @soon}]");
  EXPECT_THAT(idle.error(), StartsWith(idle.where("inactivity_timeout: ")));
  const marked peers("groups: [{name: s, role: seed, min_peers: @-1}]");
  EXPECT_EQ(peers.error(), peers.where("min_peers: must not be negative, got '-1'"));
}

TEST(scenario_errors, piece_size_must_be_a_multiple_of_block_size) {
  const marked m(R"(torrent:
  size: 10MiB
  piece_size: @100KiB
groups: [{name: s, role: seed}]
)");
  EXPECT_EQ(m.error(),
            m.where("piece_size: piece size 102400 is not a multiple of the block size 16384"));
}

TEST(scenario_errors, an_empty_file_says_so) {
  for (const char* text : {"", "\n\n", "# only a comment\n", "---\n", "~\n"})
    EXPECT_THAT(error_of(text), StartsWith("test.yaml:1:1: the scenario is empty")) << text;
}

TEST(scenario_errors, no_groups) {
  EXPECT_EQ(error_of("name: lonely\n"), "test.yaml:1:1: no groups: add a 'groups:' list");
  const marked empty("name: x\ngroups: @[]\n");
  EXPECT_EQ(empty.error(), empty.where("no groups: the 'groups:' list is empty"));
}

TEST(scenario_errors, the_name_must_work_as_a_directory_name) {
  // Results go to results/<name> by default: the name must not lead elsewhere.
  for (const char* name :
       {"\"../up\"", "a/b", "\"..\"", "\".\"", "\"\"", "\"a\\\\b\"", "\"a\\tb\""}) {
    const marked m(std::string("name: @") + name + "\ngroups: [{name: s, role: seed}]");
    EXPECT_THAT(m.error(), StartsWith(m.where("name: '"))) << name;
    EXPECT_THAT(m.error(), HasSubstr("cannot name a directory")) << name;
  }
  for (const char* name : {"flash-crowd 500MB", "x.y", "...", "Ünïcode", "null"})
    EXPECT_EQ(
        parse_scenario(fmt::format("name: \"{}\"\ngroups: [{{name: s, role: seed}}]", name), "t")
            .name,
        name);
  EXPECT_THAT(error_of(one_seed, {"name=../x"}),
              StartsWith("--set name=../x: name: '../x' cannot"));
}

TEST(scenario_errors, the_swarm_has_at_most_max_peers) {
  const std::string at_most = fmt::format("swarmsim simulates at most {} in all", max_peers);
  EXPECT_NO_THROW(parse_scenario(
      fmt::format("groups: [{{name: s, role: seed}}, {{name: l, count: {}}}]", max_peers - 1),
      "t"));
  const marked one_too_many(
      fmt::format("groups: [{{name: s, role: seed}}, {{name: l, count: @{}}}]", max_peers));
  EXPECT_EQ(one_too_many.error(),
            one_too_many.where(fmt::format("count: group 'l' brings the swarm to {} peers; {}",
                                           max_peers + 1, at_most)));
  // Each group fits; together they do not.
  const marked together(
      "groups: [{name: s, role: seed, count: 6000000}, {name: l, count: @6000000}]");
  EXPECT_EQ(together.error(),
            together.where("count: group 'l' brings the swarm to 12000000 peers; " + at_most));
  EXPECT_THAT(error_of(one_seed, {"groups.seed.count=4294967295"}),
              StartsWith("--set groups.seed.count=4294967295: count: group 'seed' brings"));
}

TEST(scenario_errors, group_names_are_required_and_unique) {
  const marked twice(R"(groups:
  - {name: a, role: seed}
  - {name: @a, count: 3}
)");
  EXPECT_EQ(twice.error(), twice.where("duplicate group name 'a'"));
  const marked none("groups: [@{role: seed}]");
  EXPECT_EQ(none.error(), none.where("group: needs a 'name'"));
  const marked in_defaults("defaults: {name: @x}\ngroups: [{name: s, role: seed}]");
  EXPECT_THAT(in_defaults.error(), StartsWith(in_defaults.where("name: a group name cannot")));
}

TEST(scenario_errors, unknown_site) {
  const marked m(R"(network: {sites: [europe, asia], links: [{a: europe, b: asia, latency: 100ms}]}
groups: [{name: s, role: seed, site: @eurpoe}]
)");
  EXPECT_EQ(m.error(), m.where("site: unknown site 'eurpoe' (did you mean 'europe'?)"));
  const marked link(
      "network: {sites: [a, b], links: [{a: a, b: @c, latency: 1ms}]}\n"
      "groups: [{name: s, role: seed, site: a}]");
  EXPECT_EQ(link.error(), link.where("b: unknown site 'c'"));
  const marked unreachable("network: {sites: [a, @b]}\ngroups: [{name: s, role: seed, site: a}]");
  EXPECT_EQ(unreachable.error(),
            unreachable.where("site 'b' has no route to site 'a'; add a link"));
}

TEST(scenario_errors, somebody_must_hold_every_piece_at_the_start) {
  const marked fractions(R"(groups:
  @- {name: half, count: 10, content: {fraction: 0.5}}
  - {name: leechers, count: 10, role: leecher}
)");
  EXPECT_EQ(fractions.error(),
            fractions.where("no peer holds every piece at the start; add a seed group"));
  // A seed group of nobody holds nothing.
  const marked empty_seed("groups: @[{name: s, role: seed, count: 0}]");
  EXPECT_EQ(empty_seed.error(),
            empty_seed.where("no peer holds every piece at the start; add a seed group"));
  EXPECT_NO_THROW(parse_scenario("groups: [{name: p, content: partition, count: 3}]", "t"));
  EXPECT_NO_THROW(parse_scenario("groups: [{name: s, role: seed}, {name: off, count: 0}]", "t"));
}

TEST(scenario_errors, fraction_must_be_between_0_and_1) {
  const marked m("groups: [{name: s, role: seed}, {name: f, content: {fraction: @1.5}}]");
  EXPECT_EQ(m.error(), m.where("fraction: 1.5 is outside [0, 1]"));
}

TEST(scenario_errors, poisson_rate_must_be_positive) {
  const marked m("groups: [{name: s, role: seed}, {name: p, arrival: {poisson: {rate: @0/min}}}]");
  EXPECT_EQ(m.error(), m.where("rate: poisson rate must be greater than 0"));
  const marked missing("groups: [{name: s, role: seed}, {name: p, arrival: {poisson: @{}}}]");
  EXPECT_THAT(missing.error(), StartsWith(missing.where("poisson: needs a 'rate'")));
}

TEST(scenario_errors, arrival_takes_exactly_one_form) {
  const marked m("groups: [{name: s, role: seed, arrival: @{at: 0s, uniform: {window: 1s}}}]");
  EXPECT_THAT(m.error(), StartsWith(m.where("arrival: give exactly one of")));
}

TEST(scenario_errors, role_and_content_conflict) {
  const marked m("groups: [{name: s, role: @seed, content: all}]");
  EXPECT_EQ(m.error(), m.where("role: give either 'role' or 'content', not both"));
}

TEST(scenario_errors, optimistic_slots_fit_in_upload_slots) {
  const marked m(R"(defaults: {choker: {upload_slots: 2}}
groups: [{name: s, role: seed, choker: {optimistic_slots: @3}}]
)");
  EXPECT_EQ(m.error(),
            m.where("choker: optimistic_slots (3) exceeds upload_slots (2) in group 's'"));
}

TEST(scenario_errors, a_missing_file_says_why) {
  try {
    load_scenario("/nonexistent/dir/x.yaml");
    ADD_FAILURE() << "no error";
  } catch (const scenario_error& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/dir/x.yaml: cannot open: No such file or directory");
  }
}

// ---- overrides ----------------------------------------------------------------

constexpr const char* two_groups = R"(
defaults: {upload: 2Mbit}
groups:
  - {name: seed, role: seed}
  - {name: leechers, count: 10}
)";

TEST(scenario_overrides, address_groups_by_name_or_index) {
  const scenario s = parse_scenario(two_groups, "test.yaml",
                                    {"groups.leechers.count=20", "groups.0.upload=5Mbit",
                                     "simulation.seed=7", "groups.1.picker.policy=random"});
  EXPECT_EQ(s.groups[1].count, 20u);
  EXPECT_EQ(s.groups[0].upload, 5 * mbit);
  EXPECT_EQ(s.groups[1].upload, 2 * mbit);
  EXPECT_EQ(s.simulation.seed, 7u);
  EXPECT_EQ(s.groups[1].peer.picker.policy.name(), "random");
}

TEST(scenario_overrides, values_are_yaml_and_later_ones_win) {
  const scenario s =
      parse_scenario(two_groups, "test.yaml",
                     {"groups.leechers.arrival={uniform: {window: 30s}}", "defaults.upload=1Mbit",
                      "groups.0.count=2", "groups.seed.count=3"});
  EXPECT_EQ(s.groups[1].arrival, (arrival_spec{arrival_kind::uniform, 0s, 30s, 1.0}));
  EXPECT_EQ(s.groups[0].upload, 1 * mbit);
  EXPECT_EQ(s.groups[1].upload, 1 * mbit);
  EXPECT_EQ(s.groups[0].count, 3u);
}

TEST(scenario_overrides, can_rename_a_group_and_then_address_it) {
  const scenario s = parse_scenario(two_groups, "test.yaml",
                                    {"groups.leechers.name=crowd", "groups.crowd.count=4"});
  EXPECT_EQ(s.groups[1].name, "crowd");
  EXPECT_EQ(s.groups[1].count, 4u);
}

TEST(scenario_overrides, errors_name_the_override) {
  EXPECT_EQ(error_of(two_groups, {"groups.x.count=3"}),
            "--set groups.x.count=3: no group named 'x'");
  EXPECT_EQ(error_of(two_groups, {"groups.5.count=3"}),
            "--set groups.5.count=3: no group at index 5 (there are 2)");
  EXPECT_EQ(error_of(two_groups, {"simulation.seed"}),
            "--set simulation.seed: expected key.path=value");
  EXPECT_EQ(error_of(two_groups, {"groups.leechers.uplaod=5Mbit"}),
            "--set groups.leechers.uplaod=5Mbit: unknown key 'uplaod' (did you mean 'upload'?)");
  EXPECT_EQ(error_of(two_groups, {"simulaton.seed=3"}),
            "--set simulaton.seed=3: unknown key 'simulaton' (did you mean 'simulation'?)");
  EXPECT_EQ(error_of(two_groups, {"groups.0.upload=0"}),
            "--set groups.0.upload=0: upload: rate must be greater than 0");
  EXPECT_EQ(error_of(two_groups, {"groups.seed.role.x=1"}),
            "--set groups.seed.role.x=1: 'groups.0.role' is a value, not a map or list");
  EXPECT_EQ(error_of(two_groups, {"groups.1.name=seed"}),
            "--set groups.1.name=seed: duplicate group name 'seed'");
  EXPECT_EQ(error_of(two_groups, {"torrent.block_size=100000"}),
            "--set torrent.block_size=100000: block_size: piece size 262144 is not a multiple "
            "of the block size 100000");
}

TEST(scenario_overrides, an_override_that_removes_every_seed_is_named) {
  const std::string message = "no peer holds every piece at the start; add a seed group";
  EXPECT_EQ(error_of(two_groups, {"groups.seed.count=0"}), "--set groups.seed.count=0: " + message);
  EXPECT_EQ(error_of(two_groups, {"groups.0.role=leecher"}),
            "--set groups.0.role=leecher: " + message);
  EXPECT_EQ(error_of(two_groups, {"defaults.count=0"}), "--set defaults.count=0: " + message);
  // An override that has nothing to do with it leaves the blame on the file.
  const marked no_seed("groups: @[{name: l, count: 3}]");
  EXPECT_EQ(error_of(no_seed.text(), {"groups.l.upload=1Mbit", "simulation.seed=2"}),
            no_seed.where(message));
}

TEST(scenario_overrides, problems_in_the_file_keep_their_location) {
  const marked m("groups: [{name: s, role: seed, upload: @0}]");
  EXPECT_EQ(error_of(m.text(), {"simulation.seed=3", "groups.s.count=2"}),
            m.where("upload: rate must be greater than 0"));
}

// ---- saving -------------------------------------------------------------------

scenario every_feature() {
  scenario s;
  s.name = "null";  // YAML would read it back as nothing unless quoted
  s.description = "two lines:\n\"quoted\" and 'single' # not a comment";
  s.torrent = {123'456'789, 64 * 1024, 8 * 1024};
  s.tracker = {200, 1234ms, 0s, 1h, 1500001ns};
  s.network.sites = {{"eu"}, {"us-east"}, {"asia"}};
  s.network.links = {{"eu", "us-east", 45ms}, {"asia", "eu", 120ms}};
  s.network.local_latency = 3ms;
  group_spec seed;
  seed.name = "seed";
  seed.content.kind = content_kind::all;
  seed.upload = 1'234'567.5;
  seed.download = 1e9 / 8;
  seed.site = "eu";
  seed.leave_at = 10min;
  seed.peer.choker.seed_mode = protocol::seed_choking::fastest_upload;
  seed.peer.choker.round_robin_bytes = 1'000'001;
  group_spec some;
  some.name = "some";
  some.count = 7;
  some.content = {content_kind::fraction, 0.1};
  some.site = "asia";
  some.arrival = {arrival_kind::poisson, 1s, {}, 1.0 / 3};
  some.after_completion = {after_completion_kind::seed_for, 90s};
  some.peer.picker.policy = {&protocol::sequential_picker_info(), {}};
  some.peer.picker.endgame = false;
  some.peer.pipeline_depth = 12;
  group_spec crowd;
  crowd.name = "crowd";
  crowd.count = 100;
  crowd.content.kind = content_kind::partition;
  crowd.site = "us-east";
  crowd.arrival = {arrival_kind::uniform, 5s, 2min, 1.0};
  crowd.after_completion.kind = after_completion_kind::leave;
  crowd.peer.choker.upload_slots = 0;
  crowd.peer.choker.optimistic_slots = 0;
  s.groups = {seed, some, crowd};
  s.simulation = {UINT64_MAX, stop_kind::time_limit, 36h, 100ms, {}, {}};
  return s;
}

TEST(scenario_save, save_then_parse_gives_back_the_same_scenario) {
  const scenario s = every_feature();
  const std::string text = save_scenario(s);
  const scenario back = parse_scenario(text, "saved.yaml");
  EXPECT_EQ(back, s) << text;
  EXPECT_EQ(save_scenario(back), text);
}

TEST(scenario_save, writes_every_field_out) {
  const std::string text = save_scenario(parse_scenario(one_seed, "test.yaml"));
  for (const char* key : {"name:",
                          "description:",
                          "size:",
                          "piece_size:",
                          "block_size:",
                          "numwant:",
                          "announce_interval:",
                          "min_interval:",
                          "expire_after:",
                          "latency:",
                          "sites:",
                          "links:",
                          "local_latency:",
                          "count:",
                          "content:",
                          "upload:",
                          "download:",
                          "site:",
                          "arrival:",
                          "after_completion:",
                          "leave_at:",
                          "policy:",
                          "random_first_pieces:",
                          "finish_started_first:",
                          "endgame:",
                          "max_endgame_duplicates:",
                          "upload_slots:",
                          "optimistic_slots:",
                          "rechoke_interval:",
                          "optimistic_interval:",
                          "snub_timeout:",
                          "new_peer_window:",
                          "new_peer_weight:",
                          "seed_mode:",
                          "round_robin_bytes:",
                          "round_robin_min_time:",
                          "pipeline_depth:",
                          "max_connections:",
                          "max_initiate:",
                          "min_peers:",
                          "inactivity_timeout:",
                          "reconnect_delay:",
                          "seed:",
                          "stop:",
                          "time_limit:",
                          "sample_interval:"})
    EXPECT_THAT(text, HasSubstr(key));
  EXPECT_THAT(text, HasSubstr("upload: 10Mbit/s"));
  EXPECT_THAT(text, HasSubstr("piece_size: 256KiB"));
}

// ---- the shipped scenarios ---------------------------------------------------------

TEST(shipped_scenarios, all_load_and_survive_a_save) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SWARMSIM_SOURCE_DIR "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    SCOPED_TRACE(entry.path().string());
    scenario s;
    ASSERT_NO_THROW(s = load_scenario(entry.path().string()));
    EXPECT_EQ(parse_scenario(save_scenario(s), "resolved.yaml"), s);
  }
  EXPECT_GE(files, 2);
}

TEST(shipped_scenarios, demo_is_the_small_swarm_it_says) {
  const scenario s = load_scenario(SWARMSIM_SOURCE_DIR "/scenarios/demo.yaml");
  EXPECT_EQ(s.torrent.size, 20u * 1024 * 1024);
  EXPECT_EQ(s.torrent.piece_size, 256u * 1024);
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[0].content.kind, content_kind::all);
  EXPECT_EQ(s.groups[0].upload, 10 * mbit);
  EXPECT_EQ(s.groups[1].count, 40u);
  EXPECT_EQ(s.groups[1].upload, 2 * mbit);
  EXPECT_EQ(s.groups[1].download, 10 * mbit);
  EXPECT_EQ(s.groups[1].arrival, (arrival_spec{arrival_kind::uniform, 0s, 60s, 1.0}));
}

TEST(shipped_scenarios, flash_crowd_is_500_MiB_in_2000_pieces) {
  const scenario s = load_scenario(SWARMSIM_SOURCE_DIR "/scenarios/flash-crowd-500MB.yaml");
  EXPECT_EQ(s.torrent.size, 524'288'000u);
  EXPECT_EQ(s.torrent.size / s.torrent.piece_size, 2000u);
  EXPECT_EQ(s.torrent.block_size, 16u * 1024);
  ASSERT_EQ(s.groups.size(), 2u);
  EXPECT_EQ(s.groups[0].count, 1u);
  EXPECT_EQ(s.groups[0].upload, 100 * mbit);
  EXPECT_EQ(s.groups[1].count, 300u);
  EXPECT_EQ(s.groups[1].arrival, arrival_spec{});
  EXPECT_EQ(s.groups[1].upload, 20 * mbit);
  EXPECT_EQ(s.groups[1].download, 100 * mbit);
}

// ---- the schema documentation ---------------------------------------------------

// scenarios/README.md documents fields in table rows "| `field` | type | default |
// meaning |", under headings naming where they live.
struct documented_field {
  std::string section;  // "torrent", "groups.1.picker", ...; "" for the top level
  std::string name;
  std::string default_cell;
};

std::vector<documented_field> readme_fields() {
  const std::map<std::string, std::string> sections{{"## Top level", ""},
                                                    {"## `torrent`", "torrent"},
                                                    {"## `tracker`", "tracker"},
                                                    {"## `network`", "network"},
                                                    {"## Groups", "groups.1"},
                                                    {"### `abort`", "groups.1.abort"},
                                                    {"### `classes`", "classes"},
                                                    {"### `picker`", "groups.1.picker"},
                                                    {"### `choker`", "groups.1.choker"},
                                                    {"### `playback`", "groups.1.playback"},
                                                    {"## `simulation`", "simulation"}};
  std::ifstream in(SWARMSIM_SOURCE_DIR "/scenarios/README.md");
  std::vector<documented_field> out;
  std::optional<std::string> section;
  const std::regex row(R"(^\| `([a-z_]+)`(, `([a-z_]+)`)? \| [^|]* \| ([^|]*) \|)");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) {
      const auto it = sections.find(line);
      section = it == sections.end() ? std::nullopt : std::optional(it->second);
      continue;
    }
    std::smatch m;
    if (!section || !std::regex_search(line, m, row)) continue;
    out.push_back({*section, m[1], m[4]});
    if (m[3].matched) out.push_back({*section, m[3], m[4]});
  }
  return out;
}

// Every key that appears in the YAML tree, site names in group `sites:` maps aside.
void collect_keys(const YAML::Node& node, std::set<std::string>& keys) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.Scalar();
      keys.insert(key);
      if (key != "sites" || !kv.second.IsMap()) collect_keys(kv.second, keys);
    }
  } else if (node.IsSequence()) {
    for (const auto& element : node)
      collect_keys(element, keys);
  }
}

// The same value, scalars compared as text.
bool same_yaml(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (a.size() != b.size()) return false;
  if (a.IsSequence()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same_yaml(a[i], b[i])) return false;
    return true;
  }
  if (a.IsMap()) {
    for (const auto& kv : a)
      if (!b[kv.first.Scalar()] || !same_yaml(kv.second, b[kv.first.Scalar()])) return false;
    return true;
  }
  return true;
}

// Every optional feature on, so that the saved file holds every key the loader reads.
constexpr const char* every_option = R"(
network: {sites: [eu, us], links: [{a: eu, b: us, latency: 40ms}]}
groups:
  - {name: seed, role: seed, site: eu, upload_cap: 1Mbit/s}
  - name: crowd
    count: 10
    sites: {eu: 0.5, us: 0.5}
    classes: [{name: slow, share: 0.5, upload: 1Mbit, download: 2Mbit},
              {name: fast, share: 0.5, upload: 5Mbit, download: 9Mbit}]
    after_completion: {seed_for: {lognormal: {median: 1min, sigma: 1}}}
    abort: {probability: 0.1, rate: 1/h}
    playback: {bitrate: 2Mbit/s}
simulation: {overlay_interval: 10s, trace: [unchoke, interest]}
)";

TEST(scenario_readme, documents_every_field_the_loader_reads_and_no_other) {
  const auto documented = readme_fields();
  ASSERT_GE(documented.size(), 50u);
  std::set<std::string> keys{"defaults", "role"};  // read, never written out
  collect_keys(YAML::Load(save_scenario(parse_scenario(every_option, "every.yaml"))), keys);
  std::ifstream in(SWARMSIM_SOURCE_DIR "/scenarios/README.md");
  const std::string readme{std::istreambuf_iterator<char>(in), {}};
  for (const auto& key : keys)
    EXPECT_TRUE(std::regex_search(readme, std::regex("[`{ ]" + key + "[`:,]"))) << key;
  for (const auto& field : documented)
    EXPECT_TRUE(keys.contains(field.name)) << field.section << "." << field.name;
}

TEST(scenario_readme, gives_the_defaults_the_loader_uses) {
  const YAML::Node saved = YAML::Load(save_scenario(
      parse_scenario("groups: [{name: s, role: seed}, {name: plain, playback: {bitrate: 1Mbit/s}}]",
                     "defaults.yaml")));  // (a viewer: its defaults are written out)
  int compared = 0;
  for (const auto& field : readme_fields()) {
    // Only cells that are one value, as in "`10Mbit/s`".
    std::smatch m;
    if (!std::regex_match(field.default_cell, m, std::regex(R"(`([^`]+)` *)"))) continue;
    YAML::Node node = saved;
    if (field.section == "classes") continue;
    std::stringstream path(field.section);
    for (std::string part; std::getline(path, part, '.');)
      node.reset(node.IsSequence() ? node[std::stoul(part)] : node[part]);
    const YAML::Node value = node[field.name];
    ASSERT_TRUE(value) << field.section << "." << field.name << " is not written out";
    EXPECT_TRUE(same_yaml(YAML::Load(m[1].str()), value))
        << field.section << "." << field.name << ": README says " << m[1] << ", the loader gives "
        << YAML::Dump(value);
    ++compared;
  }
  EXPECT_GE(compared, 40);
}

}  // namespace
}  // namespace swarmsim::sim
