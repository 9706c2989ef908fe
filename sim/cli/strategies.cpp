// `swarmsim strategies [NAME]`: the strategies a scenario may name, with their
// parameters (sim/scenario/strategy_catalog.hpp).

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "sim/cli/commands.hpp"
#include "sim/scenario/strategy_catalog.hpp"
#include "sim/scenario/strategy_schema.hpp"

namespace swarmsim::cli {

namespace {

using protocol::param_spec;
using protocol::param_type;

std::string range_of(const param_spec& p) {
  switch (p.type) {
    case param_type::boolean:
      return "true or false";
    case param_type::fraction:
      return "in [0, 1]";
    case param_type::duration:
      return fmt::format("{} s to {} s", p.min, p.max);
    case param_type::rate:
      return fmt::format("{} to {} B/s", p.min, p.max);
    default:
      return fmt::format("{} to {}", p.min, p.max);
  }
}

void describe(std::FILE* out, const protocol::strategy_info& s) {
  fmt::print(out, "{} {}\n  {}\n  source: {}\n", protocol::to_string(s.kind), s.name, s.summary,
             s.source);
  if (s.params.empty())
    fmt::print(out, "  parameters: none of its own; it reads {}\n",
               s.kind == protocol::strategy_kind::neighbours
                   ? "the group's max_connections, max_initiate, min_peers and numwant"
                   : fmt::format("the common {} options", protocol::to_string(s.kind)));
  for (const param_spec& p : s.params)
    fmt::print(out, "  {}: {} ({}), default {}: {}\n", p.name, protocol::to_string(p.type),
               range_of(p), sim::scenario_yaml::format_param(p.default_value), p.meaning);
}

}  // namespace

command add_strategies_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "strategies",
      "List the strategies a scenario may name (picker:, choker: or neighbours: {policy: NAME, "
      "...}) with their parameters");
  sub->add_option("name", *name,
                  "Show only the strategies of this name, or of this kind (picker, choker, "
                  "neighbours)");
  return {sub, [name] {
            const auto& catalog = sim::strategy_catalog();
            bool found = false;
            for (const protocol::strategy_info* s : catalog.all()) {
              if (!name->empty() && s->name != *name && protocol::to_string(s->kind) != *name)
                continue;
              if (found) fmt::print("\n");
              describe(stdout, *s);
              found = true;
            }
            if (!found) {
              fmt::print(stderr, "swarmsim: error: strategies: no strategy or kind named '{}'\n",
                         *name);
              return 2;
            }
            return 0;
          }};
}

}  // namespace swarmsim::cli
