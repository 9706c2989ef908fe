#include "sim/sweep/merge.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include "sim/results/output.hpp"
#include "sim/sweep/sweep.hpp"

namespace swarmsim::sim {
namespace fs = std::filesystem;

namespace {

struct shard_files {
  fs::path dir;
  fs::path manifest_path;
  std::optional<sweep_manifest> manifest;
};

// Whether `name` is "shard-<digits>-of-<digits>.json".
bool is_shard_manifest_name(std::string_view name) {
  const auto digits = [&](std::size_t& at) {
    const std::size_t start = at;
    while (at < name.size() && name[at] >= '0' && name[at] <= '9')
      ++at;
    return at > start;
  };
  const auto literal = [&](std::size_t& at, std::string_view text) {
    if (name.substr(at, text.size()) != text) return false;
    at += text.size();
    return true;
  };
  std::size_t at = 0;
  return literal(at, "shard-") && digits(at) && literal(at, "-of-") && digits(at) &&
         literal(at, ".json") && at == name.size();
}

// The shard manifests in `dir`, by file name.
std::vector<fs::path> find_shard_manifests(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw sweep_error(fmt::format("{}: not a directory", dir.string()));
  }
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && is_shard_manifest_name(entry.path().filename().string()))
      found.push_back(entry.path());
  }
  if (ec) throw sweep_error(fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
  std::sort(found.begin(), found.end());
  if (found.empty()) {
    throw sweep_error(fmt::format(
        "{}: no shard-I-of-N.json (written by `swarmsim sweep --shard I/N`)", dir.string()));
  }
  return found;
}

bool same_row(const run_row& row, const run_ref& run, const sweep_plan& plan) {
  return row.combination == run.combination && row.seed == run.seed &&
         row.values == plan.values(run.combination) && row.run_dir == run_dir_name(plan, run);
}

}  // namespace

merged_sweep merge_shards(const std::vector<fs::path>& dirs) {
  // The same directory given twice (or by two names) is read once.
  std::vector<fs::path> unique_dirs;
  std::vector<fs::path> canonical_dirs;
  for (const auto& d : dirs) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(d, ec);
    const fs::path key = ec ? d : canonical;
    if (std::find(canonical_dirs.begin(), canonical_dirs.end(), key) != canonical_dirs.end())
      continue;
    canonical_dirs.push_back(key);
    unique_dirs.push_back(d);
  }

  std::vector<shard_files> shards;
  for (const auto& dir : unique_dirs) {
    for (const auto& path : find_shard_manifests(dir)) {
      shard_files f{dir, path, parse_manifest_json(read_sweep_file(path), path.string())};
      if (!f.manifest->shard) {
        throw sweep_error(fmt::format("{}: has no \"shard\"", path.string()));
      }
      shards.push_back(std::move(f));
    }
  }
  const sweep_manifest& first = *shards.front().manifest;
  const std::uint32_t count = first.shard->count;
  std::map<std::uint32_t, const shard_files*> by_index;
  for (const auto& s : shards) {
    const sweep_manifest& m = *s.manifest;
    if (!m.same_sweep(first) || m.shard->count != count) {
      throw sweep_error(
          fmt::format("{} and {} are not shards of the same sweep (plan, scenario, shard count or "
                      "swarmsim version differ)",
                      shards.front().manifest_path.string(), s.manifest_path.string()));
    }
    const auto [it, inserted] = by_index.emplace(m.shard->index, &s);
    if (!inserted) {
      throw sweep_error(fmt::format("shard {}/{} found twice: {} and {}", m.shard->index, count,
                                    it->second->manifest_path.string(), s.manifest_path.string()));
    }
  }
  // A missing shard: name it and the runs it holds, so they can be rerun.
  std::vector<std::string> missing;
  std::vector<std::string> runs;
  for (std::uint32_t i = 1; i <= count; ++i) {
    if (by_index.contains(i)) continue;
    missing.push_back(fmt::format("{}/{}", i, count));
    for (const run_ref& r : first.plan.shard_runs(shard_spec{i, count}))
      runs.push_back(run_dir_name(first.plan, r));
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing)
      list += (list.empty() ? "" : ", ") + m;
    std::string run_list;
    constexpr std::size_t shown = 10;
    for (std::size_t k = 0; k < runs.size() && k < shown; ++k)
      run_list += "\n  " + runs[k];
    if (runs.size() > shown) run_list += fmt::format("\n  ... and {} more", runs.size() - shown);
    throw sweep_error(fmt::format(
        "missing shard(s) {} of the sweep in {}: {} run(s) missing:{}\nrun each missing shard "
        "again (swarmsim sweep ... --shard I/N, or on Slurm: sbatch --array=I "
        "<sweep>/slurm/array.sbatch), then merge",
        list, shards.front().dir.string(), runs.size(), run_list));
  }

  const sweep_plan& plan = first.plan;
  merged_sweep merged{first, {}, count, {}};
  merged.manifest.shard.reset();
  for (const auto& v : plan.vary())
    merged.table.keys.push_back(v.key);
  std::vector<std::optional<run_row>> rows(plan.runs());
  std::vector<fs::path> homes(plan.runs());
  for (const auto& [index, files] : by_index) {
    const shard_spec shard{index, count};
    fs::path csv_path = files->manifest_path;
    csv_path.replace_extension(".csv");
    runs_table part =
        parse_runs_csv(read_sweep_file(csv_path), plan.vary().size(), csv_path.string());
    if (part.keys != merged.table.keys) {
      throw sweep_error(fmt::format("{}: the varied keys differ from the plan", csv_path.string()));
    }
    const std::vector<run_ref> expected = plan.shard_runs(shard);
    if (part.rows.size() != expected.size()) {
      throw sweep_error(fmt::format("{}: {} runs where shard {}/{} has {}", csv_path.string(),
                                    part.rows.size(), index, count, expected.size()));
    }
    for (std::size_t r = 0; r < expected.size(); ++r) {
      if (!same_row(part.rows[r], expected[r], plan)) {
        throw sweep_error(fmt::format("{}:{}: expected the run {}", csv_path.string(), r + 2,
                                      run_dir_name(plan, expected[r])));
      }
      rows[expected[r].index] = std::move(part.rows[r]);
      homes[expected[r].index] = files->dir;
    }
    merge_columns(merged.table.metrics, part.metrics);
  }
  for (std::size_t k = 0; k < rows.size(); ++k) {
    merged.run_folders.emplace_back(homes[k] / rows[k]->run_dir, rows[k]->run_dir);
    merged.table.rows.push_back(std::move(*rows[k]));
  }
  return merged;
}

int merge_command(const merge_request& request) {
  std::optional<merged_sweep> merged;
  try {
    if (request.dirs.empty()) throw sweep_error("no directories to merge");
    merged = merge_shards(request.dirs);
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 2;
  }
  const fs::path out = request.out ? *request.out : request.dirs.front();
  std::size_t copied = 0;
  std::vector<std::string> absent;
  try {
    for (const auto& [from, name] : merged->run_folders) {
      const fs::path to = out / name;
      std::error_code ec;
      if (fs::equivalent(from, to, ec)) continue;
      if (!fs::is_directory(from, ec)) {
        absent.push_back(from.string());
        continue;
      }
      std::vector<fs::path> files;
      for (const auto& entry : fs::directory_iterator(from)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      output_directory dir(to);
      for (const auto& f : files)
        dir.add(f.filename().string(), read_sweep_file(f));
      dir.publish();
      ++copied;
    }
    output_directory dir(out);
    write_sweep_tables(dir, merged->manifest, merged->table);
    dir.publish();
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 1;
  }
  if (!absent.empty()) {
    fmt::print(stderr,
               "swarmsim: warning: {} run folder(s) not found (first: {}); runs.csv and "
               "compare.csv are complete, but per-run figures need the folders\n",
               absent.size(), absent.front());
  }
  if (request.verbose == verbosity::normal) {
    const sweep_plan& plan = merged->manifest.plan;
    fmt::print("merged {} shard(s): {} runs ({} combination(s) x {} seed(s)){}\n", merged->shards,
               plan.runs(), plan.combinations(), plan.seeds(),
               copied > 0 ? fmt::format(", {} run folder(s) copied", copied) : std::string());
    print_sweep_summary(stdout, plan, merged->table);
    fmt::print("results in {}/\n", out.string());
  }
  return 0;
}

}  // namespace swarmsim::sim
