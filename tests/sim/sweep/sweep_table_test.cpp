#include "sim/sweep/sweep_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "sim/results/output.hpp"
#include "sim/results/statistics.hpp"
#include "sim/sweep/sweep_plan.hpp"

namespace swarmsim::sim {
namespace {

using strings = std::vector<std::string>;
using metrics = std::vector<std::pair<std::string, std::string>>;

TEST(summary_metrics, flattens_numbers_and_nulls_and_skips_the_rest) {
  const std::string json = R"({
  "swarmsim_version": "0.1.0",
  "scenario": "flash",
  "seed": 3,
  "completed": 40,
  "download_time_s": {"count": 2, "mean": 61.500000, "max": null},
  "all_done_s": null,
  "looks_numeric": "42",
  "finished": true,
  "upload_utilisation": 0.912345,
  "wall_time_s": 1.234,
  "events_per_wall_second": 1000.0
})";
  EXPECT_EQ(summary_metrics(json, "summary.json"), (metrics{{"completed", "40"},
                                                            {"download_time_s.count", "2"},
                                                            {"download_time_s.mean", "61.500000"},
                                                            {"download_time_s.max", ""},
                                                            {"all_done_s", ""},
                                                            {"upload_utilisation", "0.912345"}}));
}

TEST(summary_metrics, of_what_format_summary_json_writes_has_every_numeric_field) {
  run_summary s;
  s.scenario = "x";
  s.leechers = 2;
  s.completed = 1;
  s.completed_fraction = 0.5;
  const auto m = summary_metrics(format_summary_json(s, wall_clock_fields::include), "s.json");
  const auto has = [&](const std::string& name) {
    for (const auto& [k, v] : m)
      if (k == name) return true;
    return false;
  };
  EXPECT_TRUE(has("completed_fraction"));
  EXPECT_TRUE(has("download_time_s.mean"));  // an object even without completions
  EXPECT_TRUE(has("upload_utilisation"));
  EXPECT_FALSE(has("seed"));
  EXPECT_FALSE(has("wall_time_s"));
  EXPECT_FALSE(has("scenario"));
}

TEST(summary_metrics, rejects_what_is_not_an_object) {
  EXPECT_THROW(summary_metrics("[1, 2]", "a.json"), sweep_error);
  EXPECT_THROW(summary_metrics("{\"a\": ", "a.json"), sweep_error);
}

TEST(merge_columns, inserts_new_names_after_their_predecessor) {
  strings columns{"a", "b", "d"};
  merge_columns(columns, {"a", "b", "c", "d", "e"});
  EXPECT_EQ(columns, (strings{"a", "b", "c", "d", "e"}));
  merge_columns(columns, {"z", "a"});
  EXPECT_EQ(columns, (strings{"z", "a", "b", "c", "d", "e"}));
  merge_columns(columns, {"b", "e"});  // nothing new
  EXPECT_EQ(columns, (strings{"z", "a", "b", "c", "d", "e"}));
}

TEST(parse_csv, follows_rfc_4180) {
  const auto records =
      parse_csv("a,\"b,1\",\"say \"\"hi\"\"\"\r\n,\"two\nlines\",\n\"\",x", "t.csv");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], (strings{"a", "b,1", "say \"hi\""}));
  EXPECT_EQ(records[1], (strings{"", "two\nlines", ""}));
  EXPECT_EQ(records[2], (strings{"", "x"}));
}

TEST(parse_csv, rejects_broken_quotes) {
  EXPECT_THROW(parse_csv("a,\"open\n", "t.csv"), sweep_error);
  EXPECT_THROW(parse_csv("a,\"q\"x\n", "t.csv"), sweep_error);
}

runs_table two_by_three() {
  runs_table t;
  t.keys = {"groups.leechers.picker.policy"};
  t.metrics = {"completed", "download_time_s.mean"};
  const auto row = [](std::size_t c, std::string v, std::uint64_t seed, std::string done,
                      std::string mean) {
    return run_row{c,
                   {v},
                   seed,
                   "runs/policy=" + v + "/seed-" + std::to_string(seed),
                   {{"completed", std::move(done)}, {"download_time_s.mean", std::move(mean)}}};
  };
  t.rows = {
      row(0, "rarest_first", 1, "50", "1.000000"), row(0, "rarest_first", 2, "50", "2.000000"),
      row(0, "rarest_first", 3, "50", "3.000000"), row(1, "sequential", 1, "0", ""),
      row(1, "sequential", 2, "10", "500.000000"), row(1, "sequential", 3, "0", "")};
  return t;
}

TEST(runs_csv, has_the_fixed_columns_then_the_metrics_and_reads_back_the_same) {
  const std::string text = format_runs_csv(two_by_three());
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "combination,groups.leechers.picker.policy,seed,run_dir,completed,"
            "download_time_s.mean");
  EXPECT_NE(text.find("\n1,sequential,1,runs/policy=sequential/seed-1,0,\n"), std::string::npos)
      << text;
  const runs_table back = parse_runs_csv(text, 1, "runs.csv");
  EXPECT_EQ(back.keys, two_by_three().keys);
  EXPECT_EQ(back.metrics, two_by_three().metrics);
  EXPECT_EQ(format_runs_csv(back), text);
}

TEST(runs_csv, quotes_values_that_need_it) {
  runs_table t;
  t.keys = {"groups.seed.arrival"};
  t.rows = {run_row{0, {"{uniform: {start: 0s, window: 1min}}"}, 1, "runs/x/seed-1", {}}};
  const std::string text = format_runs_csv(t);
  EXPECT_NE(text.find("\"{uniform: {start: 0s, window: 1min}}\""), std::string::npos);
  EXPECT_EQ(parse_runs_csv(text, 1, "r.csv").rows[0].values, t.rows[0].values);
}

TEST(runs_csv, reading_names_the_line_at_fault) {
  const std::string header = "combination,k,seed,run_dir,m\n";
  const auto error_of = [](const std::string& text, std::size_t keys) {
    try {
      parse_runs_csv(text, keys, "r.csv");
    } catch (const sweep_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of(header + "0,a,1,runs/a/seed-1,x\n", 1).rfind("r.csv:2:", 0), 0u);
  EXPECT_EQ(error_of(header + "0,a,1\n", 1).rfind("r.csv:2:", 0), 0u);
  EXPECT_EQ(error_of(header + "zero,a,1,d,1\n", 1).rfind("r.csv:2:", 0), 0u);
  EXPECT_EQ(error_of(header, 2).rfind("r.csv:1:", 0), 0u);  // header lacks a key column
  EXPECT_EQ(error_of("", 1).rfind("r.csv:", 0), 0u);
}

TEST(compare_csv, summarises_each_metric_of_each_combination) {
  const std::string text = format_compare_csv(two_by_three());
  const auto records = parse_csv(text, "compare.csv");
  ASSERT_EQ(records.size(), 5u);  // header + 2 combinations x 2 metrics
  EXPECT_EQ(records[0],
            (strings{"combination", "groups.leechers.picker.policy", "metric", "runs", "n", "mean",
                     "std", "median", "ci95_low", "ci95_high", "min", "max"}));
  // Download times 1, 2, 3: mean 2, s = 1, half-width t(0.975, 2) / sqrt(3) = 2.484.
  const strings& rf = records[2];
  EXPECT_EQ(rf[0], "0");
  EXPECT_EQ(rf[2], "download_time_s.mean");
  EXPECT_EQ(rf[3], "3");
  EXPECT_EQ(rf[4], "3");
  EXPECT_EQ(rf[5], "2.000000");
  EXPECT_EQ(rf[6], "1.000000");
  EXPECT_EQ(rf[7], "2.000000");
  EXPECT_NEAR(std::stod(rf[8]), 2 - 2.484, 1e-3);
  EXPECT_NEAR(std::stod(rf[9]), 2 + 2.484, 1e-3);
  EXPECT_EQ(rf[10], "1.000000");
  EXPECT_EQ(rf[11], "3.000000");
}

TEST(compare_csv, counts_runs_without_a_value_but_leaves_them_out_of_the_statistics) {
  const auto records = parse_csv(format_compare_csv(two_by_three()), "compare.csv");
  const strings& seq_time = records[4];
  EXPECT_EQ(seq_time[1], "sequential");
  EXPECT_EQ(seq_time[3], "3");  // runs
  EXPECT_EQ(seq_time[4], "1");  // n: one run had completions
  EXPECT_EQ(seq_time[5], "500.000000");
  EXPECT_EQ(seq_time[6], "");  // no spread and no interval from one value
  EXPECT_EQ(seq_time[8], "");
}

TEST(compare_csv, a_metric_no_run_has_gets_empty_statistics) {
  runs_table t = two_by_three();
  for (auto& row : t.rows)
    row.metrics[1].second.clear();
  const auto records = parse_csv(format_compare_csv(t), "compare.csv");
  EXPECT_EQ(records[2][4], "0");
  for (std::size_t i = 5; i < records[2].size(); ++i)
    EXPECT_EQ(records[2][i], "") << i;
}

}  // namespace
}  // namespace swarmsim::sim
