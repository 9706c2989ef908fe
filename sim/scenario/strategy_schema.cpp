#include "sim/scenario/strategy_schema.hpp"

#include <fmt/format.h>

#include <charconv>
#include <variant>

#include "sim/scenario/strategy_catalog.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::scenario_yaml {

namespace {

using protocol::param_spec;
using protocol::param_type;
using protocol::param_value;

param_value read_value(const loader& l, const located& v, const param_spec& spec) {
  switch (spec.type) {
    case param_type::whole:
      return l.read_whole(v, static_cast<std::uint64_t>(spec.min),
                          static_cast<std::uint64_t>(spec.max));
    case param_type::number:
      return l.read_number(v, spec.min, spec.max, false);
    case param_type::fraction:
      return l.read_number(v, 0, 1, false);
    case param_type::rate: {
      const double rate = l.read_rate(v);
      if (auto why = protocol::check_param(spec, rate)) l.fail(v, *why);
      return rate;
    }
    case param_type::duration: {
      const duration d = l.read_duration(v, false);
      if (auto why = protocol::check_param(spec, d)) l.fail(v, *why);
      return d;
    }
    case param_type::boolean:
      return l.read_bool(v);
  }
  l.fail(v, "unknown parameter type");
}

// `text` as a value of `spec`, or why not (naming the parameter).
std::variant<param_value, std::string> value_from_text(const param_spec& spec,
                                                       std::string_view text) {
  param_value v;
  switch (spec.type) {
    case param_type::whole: {
      const auto w = parse_whole_number(text);
      if (!w) return fmt::format("{}: {}", spec.name, w.error);
      v = *w.value;
      break;
    }
    case param_type::number:
    case param_type::fraction: {
      double x = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (ec != std::errc{} || end != text.data() + text.size())
        return fmt::format("{}: '{}' is not a number", spec.name, text);
      v = x;
      break;
    }
    case param_type::rate: {
      const auto r = parse_rate(text);
      if (!r) return fmt::format("{}: {}", spec.name, r.error);
      v = *r.value;
      break;
    }
    case param_type::duration: {
      const auto d = parse_duration(text);
      if (!d) return fmt::format("{}: {}", spec.name, d.error);
      v = *d.value;
      break;
    }
    case param_type::boolean:
      if (text != "true" && text != "false")
        return fmt::format("{}: '{}' is not true or false", spec.name, text);
      v = text == "true";
      break;
  }
  if (auto why = protocol::check_param(spec, v)) return *why;
  return v;
}

}  // namespace

parsed_policy parse_policy(protocol::strategy_kind kind, std::string_view text) {
  const std::size_t comma = text.find(',');
  const std::string_view name = text.substr(0, comma);
  const auto& catalog = strategy_catalog();
  const protocol::strategy_info* info = catalog.find(kind, name);
  if (!info) {
    const auto known = catalog.names(kind);
    return {std::nullopt,
            fmt::format("unknown {} '{}'{} (registered: {})", protocol::to_string(kind), name,
                        did_you_mean(name, known), fmt::join(known, ", "))};
  }
  protocol::strategy_params given;
  std::string_view rest = comma == std::string_view::npos ? "" : text.substr(comma + 1);
  while (!rest.empty()) {
    const std::size_t next = rest.find(',');
    const std::string_view item = rest.substr(0, next);
    rest = next == std::string_view::npos ? "" : rest.substr(next + 1);
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const param_spec* spec = info->param(key);
    if (!spec) {
      std::vector<std::string_view> names;
      for (const auto& p : info->params)
        names.push_back(p.name);
      return {std::nullopt,
              fmt::format("{} '{}' has no parameter '{}'{}", protocol::to_string(kind), name, key,
                          did_you_mean(key, names))};
    }
    if (eq == std::string_view::npos)
      return {std::nullopt, fmt::format("{}: give it as {}=VALUE", key, key)};
    auto value = value_from_text(*spec, item.substr(eq + 1));
    if (auto* why = std::get_if<std::string>(&value)) return {std::nullopt, *why};
    given.set(key, std::get<param_value>(value));
  }
  return {protocol::strategy_ref{info, *protocol::resolve(*info, given).params}, {}};
}

const protocol::strategy_info& read_policy(const loader& l, const located& at,
                                           protocol::strategy_kind kind,
                                           const protocol::strategy_info& current) {
  if (!at.node.IsMap() || !at.node["policy"]) return current;
  const located v{at.node["policy"], child(at.path, "policy")};
  const std::string name = l.read_string(v);
  const auto& catalog = strategy_catalog();
  if (const protocol::strategy_info* info = catalog.find(kind, name)) return *info;
  const auto known = catalog.names(kind);
  l.fail(v, fmt::format("policy: unknown {} '{}'{} (registered: {}; `swarmsim strategies` lists "
                        "them with their parameters)",
                        protocol::to_string(kind), name, did_you_mean(name, known),
                        fmt::join(known, ", ")));
}

void read_params(const loader& l, const map_view& m, const protocol::strategy_info& info,
                 protocol::strategy_ref& ref) {
  if (ref.info != &info) ref = {&info, {}};
  for (const param_spec& spec : info.params)
    if (const auto v = m.get(spec.name)) ref.params.set(spec.name, read_value(l, *v, spec));
  ref.params = *protocol::resolve(info, ref.params).params;
}

std::string format_param(const param_value& v) {
  if (const auto* w = std::get_if<std::uint64_t>(&v)) return fmt::format("{}", *w);
  if (const auto* x = std::get_if<double>(&v)) return fmt::format("{}", *x);
  if (const auto* d = std::get_if<duration>(&v)) return format_duration(*d);
  return std::get<bool>(v) ? "true" : "false";
}

void write_policy(YAML::Emitter& out, const protocol::strategy_ref& ref) {
  out << YAML::Key << "policy" << YAML::Value << std::string(ref.name());
  if (!ref.info) return;
  for (const param_spec& spec : ref.info->params) {  // in the order the strategy gives them
    const param_value* value = ref.params.find(spec.name);
    if (!value) continue;
    out << YAML::Key << spec.name << YAML::Value;
    if (const auto* b = std::get_if<bool>(value))
      out << *b;
    else
      out << format_param(*value);
  }
}

}  // namespace swarmsim::sim::scenario_yaml
