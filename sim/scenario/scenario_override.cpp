// --set key.path=value: an override applied to the YAML tree before it is
// read, so that the value is checked like the file's.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>

#include "sim/scenario/scenario_yaml.hpp"

namespace swarmsim::sim::scenario_yaml {

namespace {

std::string_view singular(std::string_view list) {
  if (list == "groups") return "group";
  if (list == "sites") return "site";
  if (list == "links") return "link";
  return "element";
}

// "key.path=value" taken apart: the names of the key path and the value.
struct parsed_override {
  std::vector<std::string> components;
  YAML::Node value;
};

scenario_error override_error(const std::string& text, std::string_view msg) {
  return scenario_error(fmt::format("--set {}: {}", text, msg));
}

parsed_override parse_override(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw override_error(text, "expected key.path=value");
  parsed_override out;
  for (std::size_t start = 0;;) {
    const auto dot = text.find('.', start);
    const auto end = dot == std::string::npos || dot > eq ? eq : dot;
    out.components.push_back(text.substr(start, end - start));
    if (out.components.back().empty()) throw override_error(text, "empty name in the key path");
    if (end == eq) break;
    start = end + 1;
  }
  try {
    out.value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw override_error(text, fmt::format("bad value: {}", e.msg));
  }
  return out;
}

// The index of the element of `list` (named `name` in the path) that `c`
// designates: an index, or the element's name.
std::size_t element_index(const std::string& text, const YAML::Node& list, std::string_view name,
                          const std::string& c) {
  std::size_t index = list.size();
  if (all_digits(c)) {
    const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), index);
    if (ec != std::errc{} || index >= list.size())
      throw override_error(
          text, fmt::format("no {} at index {} (there are {})", singular(name), c, list.size()));
    return index;
  }
  for (std::size_t j = 0; j < list.size() && index == list.size(); ++j) {
    const YAML::Node element = list[j];
    const YAML::Node name_node = element.IsMap() ? element["name"] : element;
    if (name_node.IsDefined() && name_node.IsScalar() && name_node.Scalar() == c) index = j;
  }
  if (index == list.size())
    throw override_error(text, fmt::format("no {} named '{}'", singular(name), c));
  return index;
}

}  // namespace

// Applies "key.path=value" to the tree; returns the path it resolved to.
override_record apply_override(YAML::Node& root, const std::string& text) {
  const auto error = [&](std::string_view msg) { return override_error(text, msg); };
  const auto [components, value] = parse_override(text);
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node cur = root;
  override_record record{text, {}};
  for (std::size_t i = 0; i < components.size(); ++i) {
    const std::string& c = components[i];
    const bool last = i + 1 == components.size();
    const std::string_view list = record.path.empty() ? "" : std::string_view(record.path.back());
    if (cur.IsSequence()) {
      const std::size_t index = element_index(text, cur, list, c);
      record.path.push_back(std::to_string(index));
      if (last) {
        cur[index] = value;
      } else {
        const YAML::Node next = cur[index];
        cur.reset(next);
      }
      continue;
    }
    if (cur.IsNull()) cur = YAML::Node(YAML::NodeType::Map);
    if (!cur.IsMap())
      throw error(fmt::format("'{}' is {}, not a map or list",
                              record.path.empty() ? std::string("the scenario")
                                                  : fmt::format("{}", fmt::join(record.path, ".")),
                              kind_of(cur)));
    record.path.push_back(c);
    if (last) {
      cur[c] = value;
      break;
    }
    const YAML::Node& const_cur = cur;
    if (!const_cur[c].IsDefined()) {
      if (all_digits(components[i + 1]))
        throw error(fmt::format("no {} at index {} (there is no '{}' list)", singular(c),
                                components[i + 1], c));
      cur[c] = YAML::Node(YAML::NodeType::Map);
    }
    const YAML::Node next = cur[c];
    cur.reset(next);
  }
  return record;
}

}  // namespace swarmsim::sim::scenario_yaml
