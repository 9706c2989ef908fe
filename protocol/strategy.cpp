#include "protocol/strategy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace swarmsim::protocol {

std::string_view to_string(strategy_kind k) {
  switch (k) {
    case strategy_kind::choker:
      return "choker";
    case strategy_kind::picker:
      return "picker";
    case strategy_kind::neighbours:
      return "neighbours";
  }
  return "unknown";
}

std::string_view to_string(param_type t) {
  switch (t) {
    case param_type::whole:
      return "whole number";
    case param_type::number:
      return "number";
    case param_type::fraction:
      return "fraction";
    case param_type::rate:
      return "rate";
    case param_type::duration:
      return "duration";
    case param_type::boolean:
      return "boolean";
  }
  return "unknown";
}

namespace {

auto lower_bound_of(const std::vector<std::pair<std::string, param_value>>& v,
                    std::string_view name) {
  return std::lower_bound(v.begin(), v.end(), name,
                          [](const auto& e, std::string_view n) { return e.first < n; });
}

// The type a value of `t` is held as.
bool holds(param_type t, const param_value& v) {
  switch (t) {
    case param_type::whole:
      return std::holds_alternative<std::uint64_t>(v);
    case param_type::number:
    case param_type::fraction:
    case param_type::rate:
      return std::holds_alternative<double>(v);
    case param_type::duration:
      return std::holds_alternative<duration>(v);
    case param_type::boolean:
      return std::holds_alternative<bool>(v);
  }
  return false;
}

}  // namespace

void strategy_params::set(std::string_view name, param_value v) {
  auto it = lower_bound_of(values_, name);
  if (it != values_.end() && it->first == name) {
    values_[static_cast<std::size_t>(it - values_.begin())].second = v;
    return;
  }
  values_.insert(values_.begin() + (it - values_.begin()), {std::string(name), v});
}

const param_value* strategy_params::find(std::string_view name) const {
  auto it = lower_bound_of(values_, name);
  return it != values_.end() && it->first == name ? &it->second : nullptr;
}

const param_value& strategy_params::get(std::string_view name) const {
  const param_value* v = find(name);
  if (!v) throw std::logic_error(fmt::format("strategy parameter '{}' was not declared", name));
  return *v;
}

template <typename T>
static const T& typed(const param_value& v, std::string_view name) {
  if (const T* x = std::get_if<T>(&v)) return *x;
  throw std::logic_error(fmt::format("strategy parameter '{}' read as another type", name));
}

std::uint64_t strategy_params::whole(std::string_view name) const {
  return typed<std::uint64_t>(get(name), name);
}
double strategy_params::number(std::string_view name) const {
  return typed<double>(get(name), name);
}
duration strategy_params::span(std::string_view name) const {
  return typed<duration>(get(name), name);
}
bool strategy_params::boolean(std::string_view name) const {
  return typed<bool>(get(name), name);
}

const param_spec* strategy_info::param(std::string_view n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

std::optional<std::string> check_param(const param_spec& spec, const param_value& v) {
  if (!holds(spec.type, v))
    return fmt::format("{}: expected a {}", spec.name, to_string(spec.type));
  double x = 0;
  if (const auto* w = std::get_if<std::uint64_t>(&v)) x = static_cast<double>(*w);
  if (const auto* d = std::get_if<double>(&v)) x = *d;
  if (const auto* t = std::get_if<duration>(&v)) x = std::chrono::duration<double>(*t).count();
  if (std::holds_alternative<bool>(v)) return std::nullopt;
  const double lo = spec.type == param_type::fraction ? 0.0 : spec.min;
  const double hi = spec.type == param_type::fraction ? 1.0 : spec.max;
  if (!(x >= lo && x <= hi)) return fmt::format("{}: {} is outside [{}, {}]", spec.name, x, lo, hi);
  return std::nullopt;
}

resolved_params resolve(const strategy_info& info, const strategy_params& given) {
  strategy_params out;
  for (const auto& [name, value] : given.values()) {
    const param_spec* spec = info.param(name);
    if (!spec)
      return {std::nullopt,
              fmt::format("{} '{}' has no parameter '{}'", to_string(info.kind), info.name, name)};
    if (auto why = check_param(*spec, value)) return {std::nullopt, *why};
  }
  for (const auto& spec : info.params) {
    const param_value* v = given.find(spec.name);
    out.set(spec.name, v ? *v : spec.default_value);
  }
  return {std::move(out), {}};
}

}  // namespace swarmsim::protocol
