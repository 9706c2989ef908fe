#pragma once
// Helpers that format the result files (sim/results/output.cpp and the files
// that add columns and keys to them): fixed-decimal numbers, CSV rows and
// pretty-printed JSON objects. Internal to sim/results/.

#include <cmath>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/results/metrics.hpp"
#include "sim/results/output.hpp"

namespace swarmsim::sim::output_format {

// Fixed decimals, or `missing` for NaN and infinities; "-0.000" becomes "0.000".
inline std::string fixed(double v, int decimals, std::string_view missing) {
  if (!std::isfinite(v)) return std::string(missing);
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s.front() == '-' && s.find_first_not_of("0.", 1) == std::string::npos) s.erase(0, 1);
  return s;
}

inline std::string csv_fixed(double v, int decimals) {
  return fixed(v, decimals, "");
}

inline std::string csv_fixed(const std::optional<double>& v, int decimals) {
  return v ? csv_fixed(*v, decimals) : std::string();
}

inline std::string csv_seconds(const std::optional<duration>& d) {
  return d ? format_seconds(*d) : std::string();
}

inline void append_row(std::string& out, std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (const std::string_view f : fields) {
    if (!first) out += ',';
    out += f;
    first = false;
  }
  out += '\n';
}

// A pretty-printed JSON object with keys in insertion order.
class json_object {
 public:
  explicit json_object(int indent) : indent_(indent) {}

  json_object& raw(std::string_view key, std::string value) {
    members_.emplace_back(json_string(key), std::move(value));
    return *this;
  }
  json_object& string(std::string_view key, std::string_view value) {
    return raw(key, json_string(value));
  }
  json_object& integer(std::string_view key, std::uint64_t value) {
    return raw(key, fmt::format("{}", value));
  }
  json_object& number(std::string_view key, double value, int decimals) {
    return raw(key, fixed(value, decimals, "null"));
  }
  json_object& number(std::string_view key, const std::optional<double>& value, int decimals) {
    return value ? number(key, *value, decimals) : raw(key, "null");
  }
  json_object& seconds(std::string_view key, const std::optional<duration>& value) {
    return raw(key, value ? format_seconds(*value) : std::string("null"));
  }

  std::string str() const {
    if (members_.empty()) return "{}";
    const std::string pad(static_cast<std::size_t>(indent_ + 2), ' ');
    std::string out = "{\n";
    for (std::size_t i = 0; i < members_.size(); ++i) {
      out += pad;
      out += members_[i].first;
      out += ": ";
      out += members_[i].second;
      out += i + 1 < members_.size() ? ",\n" : "\n";
    }
    out.append(static_cast<std::size_t>(indent_), ' ');
    out += '}';
    return out;
  }

 private:
  int indent_;
  std::vector<std::pair<std::string, std::string>> members_;
};

// A distribution as a summary.json object at `indent`: count, min, median,
// mean, p90 and max; without values its count is 0 and its statistics are null,
// so every summary has the same keys. Callers may add keys before str().
inline json_object distribution_object(const std::optional<distribution_stats>& d, int indent) {
  json_object o(indent);
  o.integer("count", d ? d->count : 0);
  const auto field = [&](std::string_view key, double distribution_stats::*member) {
    o.number(key, d ? std::optional<double>(*d.*member) : std::nullopt, 6);
  };
  field("min", &distribution_stats::min);
  field("median", &distribution_stats::median);
  field("mean", &distribution_stats::mean);
  field("p90", &distribution_stats::p90);
  field("max", &distribution_stats::max);
  return o;
}

// Appends `more` to `row`.
inline void append_range(std::vector<std::string>& row, std::vector<std::string> more) {
  for (auto& f : more)
    row.push_back(std::move(f));
}

// A row of fields built up in parts.
inline void append_row(std::string& out, std::span<const std::string> fields) {
  bool first = true;
  for (const std::string& f : fields) {
    if (!first) out += ',';
    out += f;
    first = false;
  }
  out += '\n';
}

}  // namespace swarmsim::sim::output_format
