#include "sim/sweep/sweep_table.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "sim/results/output.hpp"
#include "sim/results/statistics.hpp"
#include "sim/sweep/sweep_plan.hpp"

namespace swarmsim::sim {

namespace {

// summary.json keys that are not metrics: the run's identity and the wall clock.
constexpr std::string_view not_metrics[] = {"seed", "wall_time_s", "events_per_wall_second"};

void flatten(const YAML::Node& node, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& member : node) {
    const std::string key = member.first.as<std::string>();
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    const YAML::Node& value = member.second;
    if (prefix.empty() &&
        std::find(std::begin(not_metrics), std::end(not_metrics), key) != std::end(not_metrics)) {
      continue;
    }
    if (value.IsMap()) {
      flatten(value, name, out);
    } else if (value.IsNull()) {
      out.emplace_back(name, std::string());
    } else if (value.IsScalar() && value.Tag() != "!") {  // "!": a quoted string
      const std::string& text = value.Scalar();
      if (parse_metric(text)) out.emplace_back(name, text);
    }
  }
}

std::string uint_text(std::uint64_t v) {
  return fmt::format("{}", v);
}

std::uint64_t parse_uint(std::string_view text, std::string_view what, std::string_view source) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw sweep_error(fmt::format("{}: {} '{}' is not a whole number", source, what, text));
  }
  return v;
}

void append_row(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_field(fields[i]);
  }
  out += '\n';
}

std::string level_name(double level) {
  return fmt::format("ci{:g}", level * 100);
}

}  // namespace

std::optional<double> parse_metric(std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

const std::string* run_row::metric(std::string_view name) const {
  for (const auto& [key, value] : metrics) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::string>> summary_metrics(std::string_view json_text,
                                                                 std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(json_text));
  } catch (const YAML::Exception& e) {
    throw sweep_error(fmt::format("{}: not valid JSON: {}", source, e.msg));
  }
  if (!root.IsMap()) throw sweep_error(fmt::format("{}: expected a JSON object", source));
  std::vector<std::pair<std::string, std::string>> out;
  flatten(root, "", out);
  return out;
}

void merge_columns(std::vector<std::string>& columns, const std::vector<std::string>& more) {
  std::size_t insert_at = 0;  // just after the predecessor in `more`
  for (const auto& name : more) {
    const auto it = std::find(columns.begin(), columns.end(), name);
    if (it != columns.end()) {
      insert_at = static_cast<std::size_t>(it - columns.begin()) + 1;
    } else {
      columns.insert(columns.begin() + static_cast<std::ptrdiff_t>(insert_at), name);
      ++insert_at;
    }
  }
}

void add_rows(runs_table& table, std::vector<run_row> rows) {
  for (auto& row : rows) {
    std::vector<std::string> names;
    names.reserve(row.metrics.size());
    for (const auto& m : row.metrics)
      names.push_back(m.first);
    merge_columns(table.metrics, names);
    table.rows.push_back(std::move(row));
  }
}

std::vector<std::vector<std::string>> parse_csv(std::string_view text, std::string_view source) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  std::size_t line = 1;
  std::size_t i = 0;
  const auto end_record = [&] {
    record.push_back(std::move(field));
    field.clear();
    records.push_back(std::move(record));
    record.clear();
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && field.empty()) {
      const std::size_t start_line = line;
      ++i;
      while (true) {
        if (i >= text.size()) {
          throw sweep_error(fmt::format("{}:{}: unclosed quote", source, start_line));
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        throw sweep_error(fmt::format("{}:{}: text after a closing quote", source, line));
      }
      continue;
    }
    if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      ++i;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
    } else if (c == '\n') {
      end_record();
      ++line;
      ++i;
    } else {
      field += c;
      ++i;
    }
  }
  if (!field.empty() || !record.empty()) end_record();
  return records;
}

std::string format_runs_csv(const runs_table& table) {
  std::string out;
  std::vector<std::string> header{"combination"};
  header.insert(header.end(), table.keys.begin(), table.keys.end());
  header.emplace_back("seed");
  header.emplace_back("run_dir");
  header.insert(header.end(), table.metrics.begin(), table.metrics.end());
  append_row(out, header);
  for (const run_row& row : table.rows) {
    std::vector<std::string> fields{uint_text(row.combination)};
    fields.insert(fields.end(), row.values.begin(), row.values.end());
    fields.push_back(uint_text(row.seed));
    fields.push_back(row.run_dir);
    for (const auto& name : table.metrics) {
      const std::string* v = row.metric(name);
      fields.push_back(v ? *v : std::string());
    }
    append_row(out, fields);
  }
  return out;
}

runs_table parse_runs_csv(std::string_view text, std::size_t varied_keys, std::string_view source) {
  const auto records = parse_csv(text, source);
  if (records.empty()) throw sweep_error(fmt::format("{}: empty file", source));
  const auto& header = records.front();
  const std::size_t fixed = varied_keys + 3;
  if (header.size() < fixed || header[0] != "combination" || header[varied_keys + 1] != "seed" ||
      header[varied_keys + 2] != "run_dir") {
    throw sweep_error(
        fmt::format("{}:1: expected the header combination,<{} varied keys>,seed,run_dir,...",
                    source, varied_keys));
  }
  runs_table table;
  table.keys.assign(header.begin() + 1, header.begin() + 1 + static_cast<long>(varied_keys));
  table.metrics.assign(header.begin() + static_cast<long>(fixed), header.end());
  for (std::size_t r = 1; r < records.size(); ++r) {
    const auto& f = records[r];
    const std::string where = fmt::format("{}:{}", source, r + 1);
    if (f.size() != header.size()) {
      throw sweep_error(
          fmt::format("{}: {} fields where the header has {}", where, f.size(), header.size()));
    }
    run_row row;
    row.combination = parse_uint(f[0], "combination", where);
    row.values.assign(f.begin() + 1, f.begin() + 1 + static_cast<long>(varied_keys));
    row.seed = parse_uint(f[varied_keys + 1], "seed", where);
    row.run_dir = f[varied_keys + 2];
    for (std::size_t m = 0; m < table.metrics.size(); ++m) {
      const std::string& v = f[fixed + m];
      if (!v.empty() && !parse_metric(v)) {
        throw sweep_error(fmt::format("{}: {} '{}' is not a number", where, table.metrics[m], v));
      }
      row.metrics.emplace_back(table.metrics[m], v);
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

std::string format_compare_csv(const runs_table& table, double level) {
  std::string out;
  const std::string ci = level_name(level);
  std::vector<std::string> header{"combination"};
  header.insert(header.end(), table.keys.begin(), table.keys.end());
  for (const char* name : {"metric", "runs", "n", "mean", "std", "median"})
    header.emplace_back(name);
  header.push_back(ci + "_low");
  header.push_back(ci + "_high");
  header.emplace_back("min");
  header.emplace_back("max");
  append_row(out, header);

  const auto number = [](const std::optional<double>& v) {
    return v ? csv_number(*v, 6) : std::string();
  };
  for (std::size_t first = 0; first < table.rows.size();) {
    std::size_t last = first;
    while (last < table.rows.size() &&
           table.rows[last].combination == table.rows[first].combination)
      ++last;
    for (const auto& name : table.metrics) {
      std::vector<double> values;
      for (std::size_t r = first; r < last; ++r) {
        const std::string* v = table.rows[r].metric(name);
        if (v && !v->empty()) values.push_back(*parse_metric(*v));
      }
      const auto s = compute_statistics(values, level);
      std::vector<std::string> fields{uint_text(table.rows[first].combination)};
      fields.insert(fields.end(), table.rows[first].values.begin(), table.rows[first].values.end());
      fields.push_back(name);
      fields.push_back(uint_text(last - first));
      fields.push_back(uint_text(values.size()));
      if (s) {
        for (const auto& v : {std::optional<double>(s->mean), s->std_dev,
                              std::optional<double>(s->median), s->ci_low, s->ci_high,
                              std::optional<double>(s->min), std::optional<double>(s->max)}) {
          fields.push_back(number(v));
        }
      } else {
        fields.resize(fields.size() + 7);
      }
      append_row(out, fields);
    }
    first = last;
  }
  return out;
}

}  // namespace swarmsim::sim
