// `swarmsim merge DIR...`: the options of the merge command (sim/sweep/merge.hpp
// runs it).

#include <memory>
#include <string>
#include <vector>

#include "sim/cli/commands.hpp"
#include "sim/sweep/merge.hpp"

namespace swarmsim::cli {

command add_merge_command(CLI::App& app) {
  struct options {
    std::vector<std::string> dirs;
    std::string out;
    bool quiet = false;
  };
  auto o = std::make_shared<options>();
  auto* sub = app.add_subcommand(
      "merge",
      "Join the shards of a sweep (swarmsim sweep --shard I/N) into runs.csv and "
      "compare.csv");
  sub->add_option("dirs", o->dirs, "Directories holding shard-I-of-N.csv/.json files")->required();
  auto* out_opt =
      sub->add_option("--out,-o", o->out, "Output directory (default: the first directory)");
  sub->add_flag("--quiet,-q", o->quiet, "No summary");
  return {sub, [o, out_opt] {
            sim::merge_request r;
            r.dirs.assign(o->dirs.begin(), o->dirs.end());
            if (out_opt->count() > 0) r.out = o->out;
            r.verbose = o->quiet ? sim::verbosity::quiet : sim::verbosity::normal;
            return sim::merge_command(r);
          }};
}

}  // namespace swarmsim::cli
