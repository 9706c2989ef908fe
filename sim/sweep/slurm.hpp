#pragma once
// `swarmsim sweep ... --slurm`: a sweep as a Slurm job array, one array task per
// shard, and a merge job that runs once every task succeeded (docs/CLUSTER.md).
//
// 1. Array task I runs `swarmsim sweep ... --shard I/N`: tasks and shards count
//    from 1 (`#SBATCH --array=1-N`), as `--shard` does everywhere. N is written
//    into the script rather than read from SLURM_ARRAY_TASK_COUNT, so one task
//    resubmitted alone (`sbatch --array=I array.sbatch`) still runs shard I/N.
// 2. The merge job depends on the array (`--dependency=afterok:ARRAY`) and runs
//    `swarmsim merge OUT`.
// 3. Scripts live in OUT/slurm/ (array.sbatch, merge.sbatch), the tasks' logs in
//    OUT/slurm/logs/ (shard-I.log, merge.log). Every path in them is absolute:
//    the binary, the scenario and OUT must be on a file system the compute nodes
//    share.
// 4. A task uses the CPUs it was given (the sweep's --jobs defaults to
//    SLURM_CPUS_PER_TASK) and, rerun with the same plan, skips the runs already
//    complete (sim/sweep/sweep.hpp rule 4): resubmitting a failed task, or the
//    whole array, finishes only what is missing.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/sweep/sweep.hpp"

namespace swarmsim::sim {

struct slurm_options {
  std::uint32_t tasks = 0;       // array tasks (= shards); 0: one per run, at most 64
  std::string partition;         // empty: the cluster's default partition
  std::string time = "2:00:00";  // per array task (sbatch --time)
  std::string mem = "4G";        // per array task (sbatch --mem)
  unsigned cpus_per_task = 2;    // per array task (sbatch --cpus-per-task)
  bool submit = false;           // submit with sbatch (otherwise write the scripts)
  bool dry_run = false;          // print the scripts, write and submit nothing
};

// What the scripts need; paths absolute.
struct slurm_job {
  std::filesystem::path swarmsim;
  std::filesystem::path scenario;
  std::vector<std::string> vary;
  std::vector<std::string> set;
  std::uint32_t seeds = 1;
  std::filesystem::path out;
  std::string name;         // the scenario's name, for the job names
  std::uint32_t tasks = 1;  // resolved (at least 1, at most the runs)
  slurm_options options;
};

struct slurm_scripts {
  std::string array;
  std::string merge;
};

// The two batch scripts. Throws sweep_error for a value a script cannot carry
// (a path or value with a newline; an #SBATCH path with white space or quotes).
slurm_scripts make_slurm_scripts(const slurm_job& job);

// The whole command: checks the sweep as `swarmsim sweep` does, writes (or
// prints, or submits) the scripts. Returns the exit code (0 ok, 1 a file or
// sbatch failed, 2 bad scenario or flag).
int slurm_sweep_command(const sweep_request& request, const slurm_options& options);

}  // namespace swarmsim::sim
