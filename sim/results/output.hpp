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
//    first file is added, and replaces its files all together on publish(); a run
//    that fails before publishing leaves nothing behind and earlier results whole.

#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/results/metrics.hpp"

namespace swarmsim::sim {

class output_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes `contents` to `path` atomically (see 3 above). The parent directory must exist.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// A results directory that springs into existence with its first file and is
// replaced as a whole or not at all: add() writes each file under a temporary
// name beside its target (refusing a target that is not a regular file), and
// publish() renames them all into place once every file was written. Destroyed
// without publish(), it removes its temporary files and any directories it
// created, leaving earlier results untouched.
class output_directory {
 public:
  explicit output_directory(std::filesystem::path dir);
  ~output_directory();
  output_directory(const output_directory&) = delete;
  output_directory& operator=(const output_directory&) = delete;

  const std::filesystem::path& path() const { return dir_; }
  // True once a file was added (so the directory exists).
  bool created() const { return exists_; }
  // File names published so far, in the order they were added.
  const std::vector<std::string>& committed() const { return committed_; }

  // Writes dir/name under a temporary name, first creating the directory and its
  // missing parents if needed; if the first add fails, the directories it created
  // are removed again. Returns the file's final path. Throws output_error.
  std::filesystem::path add(std::string_view name, std::string_view contents);
  // Renames every added file into place. Throws output_error.
  void publish();

 private:
  void discard() noexcept;

  std::filesystem::path dir_;
  std::filesystem::path absolute_;
  std::optional<std::filesystem::path> first_created_;
  bool exists_ = false;
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> staged_;  // temp, final
  std::vector<std::string> names_;                                               // of staged_
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
// A JSON string literal, quotes included; control characters escaped, and each
// byte that is not part of well-formed UTF-8 written as U+FFFD.
std::string json_string(std::string_view text);
// Seconds with six decimals from integer nanoseconds, rounded half away from zero.
std::string format_seconds(duration d);
// `v` with `decimals` fixed decimals, locale-independent; "" for NaN and
// infinities; never "-0.0".
std::string csv_number(double v, int decimals);

}  // namespace swarmsim::sim
