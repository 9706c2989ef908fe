// `swarmsim sweep SCENARIO --vary ... --seeds N`: the options of the sweep
// command (sim/sweep/sweep.hpp runs it).

#include <memory>
#include <string>
#include <vector>

#include "sim/cli/commands.hpp"
#include "sim/sweep/slurm.hpp"
#include "sim/sweep/sweep.hpp"

namespace swarmsim::cli {

namespace {

void add_slurm_options(CLI::App& sub, bool& slurm, sim::slurm_options& o) {
  const std::string g = "Slurm (docs/CLUSTER.md)";
  auto* on = sub.add_flag("--slurm", slurm,
                          "Write a Slurm job array (one task per shard) and a merge job into "
                          "OUT/slurm/ instead of running")
                 ->group(g);
  sub.add_flag("--submit", o.submit, "With --slurm: submit both jobs with sbatch")
      ->needs(on)
      ->group(g);
  sub.add_flag("--dry-run", o.dry_run, "With --slurm: print the scripts, write nothing")
      ->needs(on)
      ->group(g);
  sub.add_option("--tasks", o.tasks, "Array tasks (= shards) (default: one per run, at most 64)")
      ->check(CLI::Range(1u, 100'000u))
      ->needs(on)
      ->group(g);
  sub.add_option("--partition", o.partition, "Partition (default: the cluster's default)")
      ->needs(on)
      ->group(g);
  sub.add_option("--time", o.time, "Time limit per task")
      ->capture_default_str()
      ->needs(on)
      ->group(g);
  sub.add_option("--mem", o.mem, "Memory per task")->capture_default_str()->needs(on)->group(g);
  sub.add_option("--cpus-per-task", o.cpus_per_task, "CPUs per task (the sweep's threads)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 4096u))
      ->needs(on)
      ->group(g);
}

}  // namespace

command add_sweep_command(CLI::App& app) {
  struct options {
    sim::sweep_request request;
    std::string out;
    std::string shard;
    bool quiet = false;
    bool slurm = false;
    sim::slurm_options cluster;
  };
  auto o = std::make_shared<options>();
  auto* sub = app.add_subcommand(
      "sweep", "Run a scenario over the cross product of varied values, several seeds each");
  sub->add_option("scenario", o->request.scenario_path,
                  "Scenario file (YAML); see scenarios/README.md")
      ->required();
  sub->add_option("--vary", o->request.vary,
                  "Values to sweep, e.g. --vary groups.leechers.picker.policy=rarest_first,"
                  "sequential (repeatable: the cross product is run); keys joined with ';' "
                  "vary together: --vary 'groups.a.count=0,10;groups.b.count=10,0'")
      ->type_name("KEY=V1,V2,...");
  sub->add_option("--seeds", o->request.seeds,
                  "Seeds per combination: simulation.seed, simulation.seed + 1, ...")
      ->required()
      ->check(CLI::Range(1u, 1'000'000u));
  sub->add_option("--jobs,-j", o->request.jobs,
                  "Worker threads (default: SLURM_CPUS_PER_TASK inside a Slurm job, else one per "
                  "hardware thread)")
      ->check(CLI::Range(1u, 4096u));
  sub->add_option("--out,-o", o->out, "Output directory of the sweep")->required();
  auto* shard_opt =
      sub->add_option("--shard", o->shard,
                      "Run only slice I of N (1 <= I <= N); join the slices with `swarmsim merge`");
  shard_opt->type_name("I/N");
  sub->add_option("--set", o->request.set, "Override a scenario value in every run (repeatable)")
      ->type_name("KEY=VALUE");
  sub->add_flag("--quiet,-q", o->quiet, "No progress and no summary");
  add_slurm_options(*sub, o->slurm, o->cluster);
  return {sub, [o, shard_opt] {
            sim::sweep_request r = o->request;
            r.out = o->out;
            if (shard_opt->count() > 0) r.shard = o->shard;
            r.verbose = o->quiet ? sim::verbosity::quiet : sim::verbosity::normal;
            if (o->slurm) return sim::slurm_sweep_command(r, o->cluster);
            return sim::sweep_command(r);
          }};
}

}  // namespace swarmsim::cli
