#pragma once
// The tables of a sweep: runs.csv (one row per run: varied values, seed, run
// folder, and every numeric field of the run's summary.json) and compare.csv (per
// combination and metric: mean, median and confidence interval across seeds).
// docs/OUTPUT.md describes both files.
//
// 1. Metric names are summary.json's keys, nested objects joined with '.'
//    ("download_time_s.mean"); values keep the exact text summary.json wrote, and a
//    null is an empty field. String fields, `seed` and the wall-clock fields are
//    not metrics.
// 2. Metric columns are the union of the runs' keys: a key not seen before is
//    placed after the key that precedes it in its run (merge_columns), so runs
//    with the same keys give those keys in summary.json's order.
// 3. format_runs_csv(parse_runs_csv(text)) == text, and compare.csv is a function
//    of the table only, so a sweep split into shards and merged gives the same
//    bytes as a sweep run in one go.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swarmsim::sim {

struct run_row {
  std::size_t combination = 0;
  std::vector<std::string> values;  // one per varied key
  std::uint64_t seed = 0;
  std::string run_dir;  // relative to the sweep directory, '/'-separated
  // (name, text) in summary.json order; "" for a missing value.
  std::vector<std::pair<std::string, std::string>> metrics;

  const std::string* metric(std::string_view name) const;  // null if absent
};

struct runs_table {
  std::vector<std::string> keys;     // varied keys, in --vary order
  std::vector<std::string> metrics;  // metric columns
  std::vector<run_row> rows;         // in run order
};

// A metric's text as a number: locale-independent, finite; empty otherwise.
std::optional<double> parse_metric(std::string_view text);

// The metrics of a summary.json text. Throws sweep_error naming `source` if the
// text is not a JSON object.
std::vector<std::pair<std::string, std::string>> summary_metrics(std::string_view json_text,
                                                                 std::string_view source);

// Adds the names of `more` that `columns` lacks, each after its predecessor in
// `more` (at the front if it has none).
void merge_columns(std::vector<std::string>& columns, const std::vector<std::string>& more);

// Appends `rows` to `table`, merging their metric names into table.metrics.
void add_rows(runs_table& table, std::vector<run_row> rows);

// RFC 4180 records: fields split at commas, quotes removed, "" inside quotes
// unescaped, "\n" or "\r\n" line ends; a final line end is optional. Throws
// sweep_error naming `source` for an unclosed quote or text after a closing quote.
std::vector<std::vector<std::string>> parse_csv(std::string_view text, std::string_view source);

// runs.csv: combination, the varied keys, seed, run_dir, then the metric columns.
std::string format_runs_csv(const runs_table& table);
// Reads what format_runs_csv wrote with `varied_keys` key columns. Throws
// sweep_error naming `source` for a malformed header, row or number.
runs_table parse_runs_csv(std::string_view text, std::size_t varied_keys, std::string_view source);

// compare.csv: one row per (combination, metric), combinations in order, metrics
// in column order; statistics over the combination's runs that have a value.
std::string format_compare_csv(const runs_table& table, double level = 0.95);

}  // namespace swarmsim::sim
