#include "sim/sweep/sweep_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace swarmsim::sim {
namespace {

using strings = std::vector<std::string>;
using testing::HasSubstr;

TEST(split_values, splits_at_top_level_commas_and_trims) {
  EXPECT_EQ(split_values("rarest_first,sequential"), (strings{"rarest_first", "sequential"}));
  EXPECT_EQ(split_values(" 1 , 2,3 "), (strings{"1", "2", "3"}));
  EXPECT_EQ(split_values("10Mbit/s"), (strings{"10Mbit/s"}));
}

TEST(split_values, keeps_commas_inside_brackets_and_quotes) {
  EXPECT_EQ(split_values("{at: 0s},{uniform: {start: 0s, window: 1min}}"),
            (strings{"{at: 0s}", "{uniform: {start: 0s, window: 1min}}"}));
  EXPECT_EQ(split_values("[a, b],'x, y',\"p,q\""), (strings{"[a, b]", "'x, y'", "\"p,q\""}));
}

TEST(split_values, rejects_empty_values_and_unbalanced_text) {
  EXPECT_THROW(split_values(""), sweep_error);
  EXPECT_THROW(split_values("a,,b"), sweep_error);
  EXPECT_THROW(split_values("a,"), sweep_error);
  EXPECT_THROW(split_values("{at: 0s"), sweep_error);
  EXPECT_THROW(split_values("a}"), sweep_error);
  EXPECT_THROW(split_values("'open"), sweep_error);
  EXPECT_THROW(split_values("a\nb"), sweep_error);
}

TEST(parse_vary, reads_key_and_values) {
  const varied_key v = parse_vary("groups.leechers.picker.policy=rarest_first,sequential");
  EXPECT_EQ(v.key, "groups.leechers.picker.policy");
  EXPECT_EQ(v.values, (strings{"rarest_first", "sequential"}));
  EXPECT_EQ(parse_vary("a.b={x: 1}=2").values, (strings{"{x: 1}=2"}));  // first '=' splits
}

TEST(parse_vary, keys_after_a_semicolon_move_with_the_first) {
  const varied_key v =
      parse_vary("groups.tyrants.count=0,60,120; groups.mainline.count=120,60,0;x={a: 1; b},y,z");
  EXPECT_EQ(v.key, "groups.tyrants.count");
  ASSERT_EQ(v.with.size(), 2u);
  EXPECT_EQ(v.with[0].key, "groups.mainline.count");
  EXPECT_EQ(v.with[0].values, (strings{"120", "60", "0"}));
  EXPECT_EQ(v.with[1].values, (strings{"{a: 1; b}", "y", "z"}));  // ';' inside braces stays
}

// Linked keys add no combination: the plan is the cross product of the first
// keys, each carrying its linked values along.
TEST(sweep_plan, linked_keys_take_the_value_at_the_same_position) {
  const sweep_plan plan({parse_vary("t.count=0,60;m.count=120,60"), parse_vary("policy=a,b")}, 2,
                        1);
  EXPECT_EQ(plan.combinations(), 4u);
  EXPECT_EQ(plan.overrides(1), (strings{"t.count=0", "m.count=120", "policy=b"}));
  EXPECT_EQ(plan.overrides(2), (strings{"t.count=60", "m.count=60", "policy=a"}));
  EXPECT_EQ(plan.values(2), (strings{"60", "a"}));  // the tables name the first keys only
  EXPECT_EQ(plan.label(2), "count=60+policy=a");
  sweep_manifest m{"0.1.0", "s.yaml", "s", scenario_fingerprint("x"), {}, plan, std::nullopt};
  EXPECT_EQ(parse_manifest_json(format_manifest_json(m), "m.json").plan, plan);
}

TEST(sweep_plan, linked_keys_need_as_many_values_and_their_own_key) {
  const auto error = [](std::vector<varied_key> vary) {
    try {
      sweep_plan(std::move(vary), 1, 1);
    } catch (const sweep_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error({parse_vary("t.count=0,60;m.count=120")}),
            "--vary m.count: 1 values, but t.count has 2: keys joined with ';' vary together");
  EXPECT_EQ(error({parse_vary("t.count=0,60;t.count=1,2")}), "--vary t.count: key given twice");
  EXPECT_EQ(error({parse_vary("a=1,2;m=1,2"), parse_vary("m=3")}), "--vary m: key given twice");
  EXPECT_THAT(error({parse_vary("a=1,2;simulation.seed=1,2")}), HasSubstr("use --seeds"));
}

TEST(parse_vary, errors_name_the_flag_and_its_text) {
  for (const char* bad : {"groups.leechers.count", "=1,2", "a b=1", "count=", "a=1;", "a=1;b"}) {
    try {
      parse_vary(bad);
      ADD_FAILURE() << bad;
    } catch (const sweep_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string("--vary ") + bad + ":", 0), 0u) << e.what();
    }
  }
}

TEST(parse_shard, reads_one_based_slices) {
  EXPECT_EQ(parse_shard("1/4"), (shard_spec{1, 4}));
  EXPECT_EQ(parse_shard("4/4"), (shard_spec{4, 4}));
  EXPECT_EQ(parse_shard("1/1"), (shard_spec{1, 1}));
  for (const char* bad : {"0/4", "5/4", "1/0", "1", "a/b", "1/4x", "-1/4", "", "/4"}) {
    EXPECT_THROW(parse_shard(bad), sweep_error) << bad;
  }
}

sweep_plan policy_by_count(std::uint32_t seeds = 3) {
  return sweep_plan({{"groups.leechers.picker.policy", {"rarest_first", "sequential"}},
                     {"groups.leechers.count", {"10", "20", "40"}}},
                    seeds, 7);
}

TEST(sweep_plan, is_the_cross_product_with_the_first_key_slowest) {
  const sweep_plan plan = policy_by_count();
  EXPECT_EQ(plan.combinations(), 6u);
  EXPECT_EQ(plan.runs(), 18u);
  EXPECT_EQ(plan.values(0), (strings{"rarest_first", "10"}));
  EXPECT_EQ(plan.values(1), (strings{"rarest_first", "20"}));
  EXPECT_EQ(plan.values(3), (strings{"sequential", "10"}));
  EXPECT_EQ(plan.values(5), (strings{"sequential", "40"}));
  EXPECT_EQ(plan.overrides(4),
            (strings{"groups.leechers.picker.policy=sequential", "groups.leechers.count=20"}));
}

TEST(sweep_plan, every_combination_gets_the_same_consecutive_seeds) {
  const sweep_plan plan = policy_by_count(3);
  for (std::size_t k = 0; k < plan.runs(); ++k) {
    const run_ref r = plan.run(k);
    EXPECT_EQ(r.index, k);
    EXPECT_EQ(r.combination, k / 3);
    EXPECT_EQ(r.seed, 7 + k % 3);
  }
}

TEST(sweep_plan, shards_partition_the_runs_evenly) {
  const sweep_plan plan = policy_by_count(5);  // 30 runs
  for (std::uint32_t n : {1u, 2u, 4u, 7u, 30u, 45u}) {
    std::multiset<std::size_t> seen;
    std::size_t smallest = plan.runs(), largest = 0;
    for (std::uint32_t i = 1; i <= n; ++i) {
      const auto runs = plan.shard_runs({i, n});
      smallest = std::min(smallest, runs.size());
      largest = std::max(largest, runs.size());
      EXPECT_TRUE(std::is_sorted(runs.begin(), runs.end(), [](const run_ref& a, const run_ref& b) {
        return a.index < b.index;
      }));
      for (const auto& r : runs)
        seen.insert(r.index);
    }
    EXPECT_EQ(seen.size(), plan.runs()) << n;
    for (std::size_t k = 0; k < plan.runs(); ++k)
      EXPECT_EQ(seen.count(k), 1u) << "run " << k << " with " << n << " shards";
    EXPECT_LE(largest - smallest, 1u) << n;
  }
}

TEST(sweep_plan, labels_name_the_values_with_short_keys) {
  const sweep_plan plan = policy_by_count();
  EXPECT_EQ(plan.label(0), "policy=rarest_first+count=10");
  EXPECT_EQ(plan.label(5), "policy=sequential+count=40");
  EXPECT_EQ(sweep_plan({}, 2, 1).label(0), "base");
}

TEST(sweep_plan, labels_lengthen_keys_that_end_alike) {
  const sweep_plan plan(
      {{"groups.seed.upload", {"1Mbit/s"}}, {"groups.leechers.upload", {"2Mbit/s"}}}, 1, 1);
  EXPECT_EQ(plan.label(0), "seed.upload=1Mbit_s+leechers.upload=2Mbit_s");
}

TEST(sweep_plan, labels_are_unique_folder_names_even_when_values_clean_up_alike) {
  const sweep_plan plan({{"groups.seed.arrival", {"{at: 0s}", "{at:0s}", "'{at: 0s}'", "x/y"}}}, 1,
                        1);
  std::set<std::string> labels;
  for (std::size_t c = 0; c < plan.combinations(); ++c) {
    const std::string l = plan.label(c);
    labels.insert(l);
    EXPECT_EQ(
        l.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+=-"),
        std::string::npos)
        << l;
  }
  EXPECT_EQ(labels.size(), plan.combinations());
}

TEST(sweep_plan, refuses_what_cannot_be_a_sweep) {
  EXPECT_THROW(sweep_plan({}, 0, 1), sweep_error);
  EXPECT_THROW(sweep_plan({{"simulation.seed", {"1", "2"}}}, 1, 1), sweep_error);
  EXPECT_THROW(sweep_plan({{"a", {"1"}}, {"a", {"2"}}}, 1, 1), sweep_error);
  EXPECT_THROW(sweep_plan({{"a", {"1", "1"}}}, 1, 1), sweep_error);
  EXPECT_THROW(sweep_plan({{"a", {}}}, 1, 1), sweep_error);
  EXPECT_THROW(sweep_plan({}, 2, UINT64_MAX), sweep_error);  // seeds overflow
}

TEST(sweep_manifest, survives_a_round_trip_through_json) {
  sweep_manifest m{"0.1.0",
                   "scenarios/a \"b\".yaml",
                   "slow-seed",
                   scenario_fingerprint("name: x\n"),
                   {"groups.seed.leave_at=200s"},
                   policy_by_count(5),
                   shard_spec{2, 3}};
  const sweep_manifest back = parse_manifest_json(format_manifest_json(m), "m.json");
  EXPECT_EQ(back.swarmsim_version, m.swarmsim_version);
  EXPECT_EQ(back.scenario, m.scenario);
  EXPECT_EQ(back.scenario_name, m.scenario_name);
  EXPECT_EQ(back.scenario_fingerprint, m.scenario_fingerprint);
  EXPECT_EQ(back.set, m.set);
  EXPECT_EQ(back.plan, m.plan);
  EXPECT_EQ(back.shard, m.shard);
  EXPECT_TRUE(back.same_sweep(m));
  m.shard.reset();
  EXPECT_EQ(parse_manifest_json(format_manifest_json(m), "m.json").shard, std::nullopt);
}

TEST(sweep_manifest, same_sweep_ignores_the_shard_but_not_the_plan_or_scenario) {
  const sweep_manifest a{"1", "s.yaml", "s", "00", {}, policy_by_count(5), shard_spec{1, 2}};
  sweep_manifest b = a;
  b.shard = shard_spec{2, 2};
  b.scenario = "elsewhere/s.yaml";  // the same scenario found by another path
  EXPECT_TRUE(a.same_sweep(b));
  b.scenario_fingerprint = "01";
  EXPECT_FALSE(a.same_sweep(b));
  sweep_manifest c = a;
  c.plan = policy_by_count(4);
  EXPECT_FALSE(a.same_sweep(c));
}

TEST(scenario_fingerprint, differs_for_different_text) {
  EXPECT_EQ(scenario_fingerprint("a").size(), 16u);
  EXPECT_EQ(scenario_fingerprint("a"), scenario_fingerprint("a"));
  EXPECT_NE(scenario_fingerprint("a"), scenario_fingerprint("b"));
}

TEST(parse_manifest_json, names_the_file_when_it_is_not_a_manifest) {
  for (const char* bad : {"", "[1, 2]", "{\"vary\": []}", "{not json"}) {
    try {
      parse_manifest_json(bad, "dir/sweep.json");
      ADD_FAILURE() << bad;
    } catch (const sweep_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("dir/sweep.json:", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace swarmsim::sim
