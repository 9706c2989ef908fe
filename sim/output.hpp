#pragma once
// Result files of a run: peers.csv, timeseries.csv, summary.json, and a short
// human-readable summary. docs/OUTPUT.md describes every file and column.
//
// 1. Formatting is deterministic: fmt with fixed decimals (never the locale),
//    times written from integer nanoseconds, rows in the order given, no
//    unordered container iterated. The same records give the same bytes.
// 2. A missing value (an optional that is empty, a NaN or an infinity) is an empty
//    CSV field and a JSON null, never "nan".
// 3. Files are replaced atomically: written to "<name>.tmp-<pid>" beside the
//    target, then renamed over it. On any error the temporary file is removed and
//    output_error names the path; the target is either the old file or the new one.
// 4. output_directory creates its directory (and missing parents) only when the
//    first file is committed; a run that never commits leaves nothing behind.

#include <cstdio>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/metrics.hpp"

namespace swarmsim::sim {

class output_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes `contents` to `path` atomically (see 3 above). The parent directory must exist.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// A results directory that springs into existence with its first file.
class output_directory {
 public:
  explicit output_directory(std::filesystem::path dir);

  const std::filesystem::path& path() const { return dir_; }
  // True once a file was committed (so the directory exists).
  bool created() const { return !committed_.empty(); }
  // File names committed so far, in commit order.
  const std::vector<std::string>& committed() const { return committed_; }

  // Writes dir/name atomically, first creating the directory and its missing
  // parents if needed; if that first write fails, the directories it created are
  // removed again. Returns the file's path. Throws output_error.
  std::filesystem::path commit(std::string_view name, std::string_view contents);

 private:
  std::filesystem::path dir_;
  std::vector<std::string> committed_;
};

inline constexpr std::string_view peers_csv_name = "peers.csv";
inline constexpr std::string_view timeseries_csv_name = "timeseries.csv";
inline constexpr std::string_view summary_json_name = "summary.json";

// Whether summary.json carries the wall-clock fields, the only ones that differ
// between two runs of the same scenario and seed.
enum class wall_clock_fields : std::uint8_t { include, omit };

// The file contents.
std::string format_peers_csv(std::span<const peer_record> peers);
std::string format_timeseries_csv(std::span<const sample> samples);
std::string format_summary_json(const run_summary& s,
                                wall_clock_fields wall = wall_clock_fields::include);

// Writes the file into `dir` under its standard name; returns its path.
std::filesystem::path write_peers_csv(output_directory& dir, std::span<const peer_record> peers);
std::filesystem::path write_timeseries_csv(output_directory& dir, std::span<const sample> samples);
std::filesystem::path write_summary_json(output_directory& dir, const run_summary& s,
                                         wall_clock_fields wall = wall_clock_fields::include);

// A few lines for people: leechers completed, download times, all done at,
// simulated time, events, wall time, events per second.
void print_summary(std::FILE* out, const run_summary& s);

// Building blocks, exposed for tests and for other writers.
// A CSV field quoted per RFC 4180 when it holds a comma, a double quote, CR or LF.
std::string csv_field(std::string_view text);
// A JSON string literal, quotes included; control characters escaped.
std::string json_string(std::string_view text);
// Seconds with six decimals from integer nanoseconds, rounded half away from zero.
std::string format_seconds(duration d);

}  // namespace swarmsim::sim
