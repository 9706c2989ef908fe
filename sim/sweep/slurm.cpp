#include "sim/sweep/slurm.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "sim/results/output.hpp"

namespace swarmsim::sim {
namespace fs = std::filesystem;

namespace {

// `text` as one word of a bash command line.
std::string shell_quote(std::string_view text) {
  std::string q = "'";
  for (const char c : text) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

void refuse_newlines(std::string_view what, std::string_view text) {
  if (text.find_first_of("\r\n") != std::string_view::npos)
    throw sweep_error(
        fmt::format("{}: contains a line break, which a batch script cannot carry", what));
}

// A path on an #SBATCH line: sbatch reads those lines word by word.
std::string sbatch_path(std::string_view what, const fs::path& p) {
  const std::string s = p.string();
  if (s.find_first_of(" \t\r\n'\"") != std::string::npos)
    throw sweep_error(fmt::format(
        "{} {}: Slurm's #SBATCH lines cannot carry a path with spaces or quotes", what, s));
  return s;
}

std::string header(const slurm_job& job, std::string_view job_name, std::string_view time,
                   std::string_view mem, unsigned cpus, std::string_view log) {
  const slurm_options& o = job.options;
  std::string h = "#!/bin/bash\n";
  h += fmt::format("#SBATCH --job-name={}\n", job_name);
  h += fmt::format("#SBATCH --cpus-per-task={}\n", cpus);
  h += fmt::format("#SBATCH --mem={}\n", mem);
  h += fmt::format("#SBATCH --time={}\n", time);
  if (!o.partition.empty()) h += fmt::format("#SBATCH --partition={}\n", o.partition);
  h += fmt::format("#SBATCH --output={}\n", sbatch_path("--out", job.out / "slurm" / "logs" / log));
  return h;
}

// Runs `sbatch --parsable ARGS SCRIPT`; returns the job id.
std::optional<std::string> sbatch(const std::string& args, const fs::path& script) {
  const std::string command =
      fmt::format("sbatch --parsable {} {}", args, shell_quote(script.string()));
  std::FILE* p = ::popen(command.c_str(), "r");
  if (!p) return std::nullopt;
  std::string output;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, p))
    output += buffer;
  const int status = ::pclose(p);
  if (status != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    fmt::print(stderr, "swarmsim: error: `{}` failed (exit status {}){}\n", command, code,
               code == 127 ? ": sbatch not found (is Slurm's client installed?)" : "");
    return std::nullopt;
  }
  // --parsable prints "JOBID" or "JOBID;CLUSTER".
  const std::string id = output.substr(0, output.find_first_of(";\n"));
  if (id.empty() ||
      !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    fmt::print(stderr, "swarmsim: error: `{}` printed no job id: {}\n", command, output);
    return std::nullopt;
  }
  return id;
}

}  // namespace

slurm_scripts make_slurm_scripts(const slurm_job& job) {
  const slurm_options& o = job.options;
  for (const auto& v : job.vary)
    refuse_newlines("--vary", v);
  for (const auto& v : job.set)
    refuse_newlines("--set", v);
  for (const auto& v : {o.partition, o.time, o.mem})
    if (v.find_first_of(" \t\r\n'\"") != std::string::npos)
      throw sweep_error(fmt::format("--slurm value \"{}\": white space or quotes", v));
  const std::string name = "swarmsim-" + job.name;
  std::string words = fmt::format("{} sweep {} --seeds {}", shell_quote(job.swarmsim.string()),
                                  shell_quote(job.scenario.string()), job.seeds);
  for (const auto& v : job.vary)
    words += " --vary " + shell_quote(v);
  for (const auto& s : job.set)
    words += " --set " + shell_quote(s);
  words += " --out " + shell_quote(job.out.string());

  slurm_scripts s;
  s.array = header(job, name, o.time, o.mem, o.cpus_per_task, "shard-%a.log");
  s.array += fmt::format("#SBATCH --array=1-{}\n", job.tasks);
  s.array += fmt::format(
      "# Written by `swarmsim sweep --slurm`. Array task I runs shard I of {0}: tasks and\n"
      "# shards count from 1. Resubmit one task alone with: sbatch --array=I <this file>\n"
      "# (runs already complete are skipped), then merge.sbatch.\n"
      "set -euo pipefail\n"
      "exec {1} --shard \"${{SLURM_ARRAY_TASK_ID}}/{0}\"\n",
      job.tasks, words);
  s.merge = header(job, name + "-merge", "0:30:00", "2G", 1, "merge.log");
  s.merge += fmt::format(
      "# Written by `swarmsim sweep --slurm`: joins the {} shards into runs.csv,\n"
      "# compare.csv and sweep.json. Submitted with --dependency=afterok:<array job>.\n"
      "set -euo pipefail\n"
      "exec {} merge {}\n",
      job.tasks, shell_quote(job.swarmsim.string()), shell_quote(job.out.string()));
  return s;
}

int slurm_sweep_command(const sweep_request& request, const slurm_options& options) {
  slurm_job job;
  try {
    std::vector<varied_key> vary;
    for (const auto& v : request.vary)
      vary.push_back(parse_vary(v));
    if (request.shard) throw sweep_error("--shard and --slurm: the job array makes the shards");
    const prepared_sweep sweep =
        prepare_sweep(request.scenario_path, request.set, vary, request.seeds);
    const auto runs = static_cast<std::uint32_t>(sweep.manifest.plan.runs());
    job.swarmsim = fs::read_symlink("/proc/self/exe");
    job.scenario = fs::absolute(request.scenario_path);
    job.vary = request.vary;
    job.set = request.set;
    job.seeds = request.seeds;
    job.out = fs::absolute(request.out).lexically_normal();
    job.name = sweep.manifest.scenario_name;
    job.tasks = std::clamp<std::uint32_t>(options.tasks > 0 ? options.tasks : 64, 1, runs);
    job.options = options;
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 2;
  }
  slurm_scripts scripts;
  try {
    scripts = make_slurm_scripts(job);
  } catch (const sweep_error& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 2;
  }
  if (options.dry_run) {
    fmt::print("# {}/slurm/array.sbatch\n{}\n# {}/slurm/merge.sbatch\n{}", job.out.string(),
               scripts.array, job.out.string(), scripts.merge);
    return 0;
  }
  const fs::path dir = job.out / "slurm";
  try {
    std::error_code ec;
    fs::create_directories(dir / "logs", ec);
    if (ec)
      throw output_error(
          fmt::format("cannot create {}: {}", (dir / "logs").string(), ec.message()));
    write_file_atomically(dir / "array.sbatch", scripts.array);
    write_file_atomically(dir / "merge.sbatch", scripts.merge);
  } catch (const std::exception& e) {
    fmt::print(stderr, "swarmsim: error: {}\n", e.what());
    return 1;
  }
  if (!options.submit) {
    fmt::print(
        "wrote {0}/array.sbatch ({1} tasks) and {0}/merge.sbatch\n"
        "submit: id=$(sbatch --parsable {0}/array.sbatch) && "
        "sbatch --dependency=afterok:$id {0}/merge.sbatch\n",
        dir.string(), job.tasks);
    return 0;
  }
  const auto array = sbatch("", dir / "array.sbatch");
  if (!array) return 1;
  const auto merge = sbatch("--dependency=afterok:" + *array, dir / "merge.sbatch");
  if (!merge) return 1;
  fmt::print(
      "submitted job array {0} ({1} tasks) and merge job {2} (after {0})\n"
      "watch: squeue -j {0},{2}   logs: {3}/logs/   results: {4}/runs.csv once {2} is done\n",
      *array, job.tasks, *merge, dir.string(), job.out.string());
  return 0;
}

}  // namespace swarmsim::sim
