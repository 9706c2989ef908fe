// Strategies named in a scenario: `choker: {policy: NAME, ...}` with the
// strategy's own parameters, inherited from defaults, checked where given, and
// written back by the resolved scenario.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario_error.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/strategy_catalog.hpp"

namespace swarmsim::sim {
namespace {

using std::chrono::seconds;
using testing::HasSubstr;

// "mainline, strict_tft, ...": the catalogue's chokers, as errors list them.
std::string registered_chokers() {
  std::string out;
  for (const std::string_view n : strategy_catalog().names(protocol::strategy_kind::choker))
    out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

const protocol::strategy_ref& policy_of(const scenario& s, std::size_t group) {
  return s.groups.at(group).peer.choker.policy;
}

TEST(strategy_schema, the_default_choker_is_mainline) {
  const scenario s = parse_scenario("groups: [{name: s, role: seed}]", "t");  // its choker
  EXPECT_EQ(policy_of(s, 0).name(), "mainline");
  EXPECT_TRUE(policy_of(s, 0).params.empty());
}

TEST(strategy_schema, a_policy_takes_its_parameters_with_defaults_for_the_rest) {
  const scenario s = parse_scenario(
      "groups: [{name: l, role: seed, choker: {policy: strict_tft, slots: 6, min_rate: 2KiB, "
      "rechoke_interval: 20s}}]",
      "t");
  const auto& p = policy_of(s, 0);
  EXPECT_EQ(p.name(), "strict_tft");
  EXPECT_EQ(p.params.whole("slots"), 6u);
  EXPECT_EQ(p.params.number("min_rate"), 2048.0);
  EXPECT_EQ(p.params.whole("bootstrap"), 2u);                        // default
  EXPECT_EQ(p.params.span("interval"), seconds(10));                 // default
  EXPECT_EQ(s.groups[0].peer.choker.rechoke_interval, seconds(20));  // a common option
}

TEST(strategy_schema, parameters_are_inherited_while_the_policy_stays) {
  const scenario s = parse_scenario(R"(defaults:
  choker: {policy: strict_tft, slots: 7}
groups:
  - {name: a, role: seed, choker: {bootstrap: 1}}
  - {name: b, choker: {policy: mainline}}
  - {name: c, choker: {policy: strict_tft}}
)",
                                    "t");
  EXPECT_EQ(policy_of(s, 0).params.whole("slots"), 7u);
  EXPECT_EQ(policy_of(s, 0).params.whole("bootstrap"), 1u);
  EXPECT_EQ(policy_of(s, 1).name(), "mainline");
  EXPECT_EQ(policy_of(s, 2).params.whole("slots"), 7u);  // same policy: inherited
}

TEST(strategy_schema, errors_name_the_place_and_list_what_exists) {
  EXPECT_EQ(error_of("groups:\n  - {name: l, choker: {policy: strict_tf}}"),
            "test.yaml:2:32: policy: unknown choker 'strict_tf' (did you mean 'strict_tft'?) "
            "(registered: " +
                registered_chokers() + "; `swarmsim strategies` lists them with their parameters)");
  EXPECT_THAT(error_of("groups:\n  - {name: l, choker: {policy: strict_tft, slotz: 2}}"),
              HasSubstr("test.yaml:2:44: unknown key 'slotz' (did you mean 'slots'?)"));
  // A parameter of another strategy is unknown to this one.
  EXPECT_THAT(error_of("groups: [{name: l, choker: {slots: 2}}]"),
              HasSubstr("unknown key 'slots'"));
  EXPECT_THAT(error_of("groups: [{name: l, choker: {policy: strict_tft, slots: 1001}}]"),
              HasSubstr("slots"));
  EXPECT_THAT(error_of("groups: [{name: l, choker: {policy: strict_tft, interval: 0s}}]"),
              HasSubstr("interval: 0 is outside [0.001, 86400]"));
  EXPECT_THAT(error_of("groups: [{name: l}]", {"groups.l.choker.policy=nope"}),
              HasSubstr("--set groups.l.choker.policy=nope: policy: unknown choker 'nope'"));
}

TEST(strategy_schema, the_resolved_scenario_reads_back_to_the_same_strategy) {
  const scenario s = parse_scenario(
      "groups: [{name: l, role: seed, choker: {policy: strict_tft, min_rate: 3000, interval: 5s}}]",
      "t");
  const std::string saved = save_scenario(s);
  EXPECT_THAT(saved, HasSubstr("policy: strict_tft"));
  const scenario again = parse_scenario(saved, "resolved");
  EXPECT_EQ(policy_of(again, 0), policy_of(s, 0));
  EXPECT_EQ(save_scenario(again), saved);
}

}  // namespace
}  // namespace swarmsim::sim

namespace swarmsim::sim {
namespace {

// A free-rider (upload_cap: 0) unchokes nobody whatever strategy it names: the
// strategy's own parameters would otherwise have it unchoke remotes it never
// serves.
TEST(strategy_schema, a_free_rider_runs_mainline_with_no_slots_whatever_its_policy) {
  const scenario s = parse_scenario(
      "groups: [{name: s, role: seed}, {name: f, upload_cap: 0, choker: {policy: strict_tft}}]",
      "t");
  EXPECT_EQ(s.groups[1].peer.choker.policy.name(), "strict_tft");  // as written
  const protocol::peer_options o = peer_options_of(s.groups[1], s.tracker, {});
  EXPECT_EQ(o.choker.policy.name(), "mainline");
  EXPECT_EQ(o.choker.upload_slots, 0u);
}

}  // namespace
}  // namespace swarmsim::sim
