// scenario -> YAML: every field written out, in the order of the schema's tables.

#include <algorithm>
#include <array>

#include "sim/scenario/scenario_yaml.hpp"

namespace swarmsim::sim {

namespace scenario_yaml {

void put_string(YAML::Emitter& out, const std::string& s) {
  static constexpr std::array<std::string_view, 5> null_words{"", "~", "null", "Null", "NULL"};
  if (std::find(null_words.begin(), null_words.end(), s) != null_words.end())
    out << YAML::DoubleQuoted;
  out << s;
}

void put(YAML::Emitter& out, std::string_view key, const std::string& value) {
  out << YAML::Key << std::string(key) << YAML::Value;
  put_string(out, value);
}

}  // namespace scenario_yaml

std::string save_scenario(const scenario& s) {
  YAML::Emitter out;
  out << YAML::Comment("swarmsim scenario, resolved: every field written out");
  out << YAML::Newline << YAML::BeginMap;
  scenario_yaml::write_fields(out, scenario_yaml::scenario_fields(), s);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace swarmsim::sim
