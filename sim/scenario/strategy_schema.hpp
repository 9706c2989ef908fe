#pragma once
// Strategies in a scenario: `choker: {policy: NAME, ...}` names a registered
// strategy (sim/scenario/strategy_catalog.hpp) and gives its parameters beside
// the options every strategy of the kind takes.
//
// 1. The policy is read first: it says which keys the map may hold (the kind's
//    common options, `policy`, the strategy's parameters). An unknown policy or
//    key is an error at its line and column that lists what exists.
// 2. Parameters are inherited from `defaults:` like other options while the
//    policy stays the same; a group that changes the policy starts from the new
//    strategy's defaults.
// 3. The resolved scenario writes `policy` and every parameter, defaults
//    included, so it reads back to the same strategy.

#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "protocol/strategy.hpp"
#include "sim/scenario/scenario_yaml.hpp"

namespace swarmsim::sim::scenario_yaml {

// The strategy the map `at` names in its `policy` key (rule 1), or `current`
// when it has none. Fails at the key for an unknown name.
const protocol::strategy_info& read_policy(const loader& l, const located& at,
                                           protocol::strategy_kind kind,
                                           const protocol::strategy_info& current);

// Reads the parameters of `info` that `m` holds into `ref` (rule 2), checks
// their types and ranges, and fills in the defaults of the others.
void read_params(const loader& l, const map_view& m, const protocol::strategy_info& info,
                 protocol::strategy_ref& ref);

// Writes `policy: NAME` and the parameters (rule 3), inside an open map.
void write_policy(YAML::Emitter& out, const protocol::strategy_ref& ref);

// A strategy given on a command line as "NAME" or "NAME,KEY=VALUE,..."
// (`seed --choker strict_tft,slots=6`), values spelt as in a scenario. The
// error names the bad part and lists what exists.
struct parsed_policy {
  std::optional<protocol::strategy_ref> ref;
  std::string error;
};
parsed_policy parse_policy(protocol::strategy_kind kind, std::string_view text);

// A parameter's value as a scenario spells it ("10s", "0.2", "4", "true").
std::string format_param(const protocol::param_value& v);

}  // namespace swarmsim::sim::scenario_yaml
