#pragma once
// Where a run's results go (`swarmsim run --out DIR`): checked before the run
// starts, and replaced as a whole once the new results are written.
//
// 1. check_run_output(out) refuses, naming the path: an empty path; the root,
//    the current directory or one of its ancestors (a results folder is replaced
//    as a whole, so it cannot be one of those); something other than a
//    directory in the way (at out or above it); an existing directory holding
//    anything but the files of a run (run_output_names, their temporary files,
//    and the sim/ and real/ folders of a comparison); a directory this process
//    may not change.
// 2. earlier_results moves an existing folder aside to "<out>.old-<pid>" for
//    the time of the run. keep_new() removes it once the new results are in
//    place; otherwise (the run failed, or threw) its destructor puts it back
//    over whatever the failed run left. Either way the folder holds the files
//    of one run, never an earlier run's overlay.csv beside newer results.

#include <filesystem>
#include <functional>
#include <optional>

namespace swarmsim::sim {

// Throws output_error (sim/results/output.hpp) when `out` cannot take a run's
// results (rule 1).
void check_run_output(const std::filesystem::path& out);

class earlier_results {
 public:
  // Moves `out` aside if it exists. Throws output_error if it cannot.
  explicit earlier_results(std::filesystem::path out);
  ~earlier_results();
  earlier_results(const earlier_results&) = delete;
  earlier_results& operator=(const earlier_results&) = delete;

  // The new results are in place: the earlier ones go.
  void keep_new() noexcept;

 private:
  std::filesystem::path out_;
  std::optional<std::filesystem::path> aside_;
};

// Both rules around one run: checks `out` (throws output_error), moves the
// earlier results aside, calls write_results (which writes the run's files into
// `out` and returns its exit code) and keeps the new results if that code is 0,
// the earlier ones otherwise (and if it throws).
int replace_results(const std::filesystem::path& out, const std::function<int()>& write_results);

}  // namespace swarmsim::sim
