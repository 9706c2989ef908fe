#include "sim/sweep/sweep_plan.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "sim/results/output.hpp"

namespace swarmsim::sim {

namespace {

constexpr std::size_t max_runs = 10'000'000;
constexpr std::size_t max_label_part = 40;

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Keeps [A-Za-z0-9._-], turns every other run of characters into one '_', trims
// '_' at both ends and cuts the result to max_label_part characters.
std::string label_part(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (is_label_char(c)) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_')
    out.pop_back();
  if (out.size() > max_label_part) out.resize(max_label_part);
  return out.empty() ? std::string("v") : out;
}

std::vector<std::string_view> split_path(std::string_view key) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

// For each key, the shortest tail of its dotted path that no other key ends with.
std::vector<std::string> short_names(const std::vector<varied_key>& vary) {
  std::vector<std::vector<std::string_view>> paths;
  for (const auto& v : vary)
    paths.push_back(split_path(v.key));
  const auto tail = [](const std::vector<std::string_view>& p, std::size_t n) {
    std::string out;
    for (std::size_t i = p.size() - std::min(n, p.size()); i < p.size(); ++i) {
      if (!out.empty()) out += '.';
      out += p[i];
    }
    return out;
  };
  std::vector<std::string> names;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    std::size_t n = 1;
    for (; n < paths[i].size(); ++n) {
      bool unique = true;
      for (std::size_t j = 0; j < paths.size() && unique; ++j) {
        if (j != i && tail(paths[j], n) == tail(paths[i], n)) unique = false;
      }
      if (unique) break;
    }
    names.push_back(label_part(tail(paths[i], n)));
  }
  return names;
}

}  // namespace

namespace {

// The positions of `sep` outside quotes and brackets, then text.size(). Throws
// sweep_error for unbalanced brackets or quotes and line breaks.
std::vector<std::size_t> top_level_cuts(std::string_view text, char sep) {
  std::vector<std::size_t> cuts;
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth < 0) throw sweep_error(fmt::format("unbalanced '{}' in '{}'", c, text));
    } else if (c == sep && depth == 0) {
      cuts.push_back(i);
    } else if (c == '\n' || c == '\r') {
      throw sweep_error(fmt::format("line break in '{}'", text));
    }
  }
  if (quote != 0) throw sweep_error(fmt::format("unclosed quote in '{}'", text));
  if (depth != 0) throw sweep_error(fmt::format("unclosed bracket in '{}'", text));
  cuts.push_back(text.size());
  return cuts;
}

}  // namespace

std::vector<std::string> split_values(std::string_view text) {
  std::vector<std::string> values;
  std::size_t start = 0;
  for (const std::size_t end : top_level_cuts(text, ',')) {
    const std::string_view v = trim(text.substr(start, end - start));
    if (v.empty()) throw sweep_error(fmt::format("empty value in '{}'", text));
    values.emplace_back(v);
    start = end + 1;
  }
  return values;
}

namespace {

// "KEY=V1,V2,..." into a key and its values; `fail` words the error.
template <class Fail>
linked_key parse_key_values(std::string_view text, Fail fail) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) throw fail("expected KEY=V1,V2,...");
  linked_key v;
  v.key = std::string(trim(text.substr(0, eq)));
  if (v.key.empty()) throw fail("empty key");
  if (v.key.find_first_of(" \t") != std::string::npos) throw fail("a key has no spaces");
  try {
    v.values = split_values(text.substr(eq + 1));
  } catch (const sweep_error& e) {
    throw fail(e.what());
  }
  return v;
}

}  // namespace

varied_key parse_vary(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    return sweep_error(fmt::format("--vary {}: {}", text, why));
  };
  std::vector<std::size_t> cuts;
  try {
    cuts = top_level_cuts(text, ';');
  } catch (const sweep_error& e) {
    throw fail(e.what());
  }
  std::size_t start = 0;
  varied_key v;
  for (const std::size_t cut : cuts) {
    linked_key part = parse_key_values(text.substr(start, cut - start), fail);
    if (start == 0) {
      v.key = std::move(part.key);
      v.values = std::move(part.values);
    } else {
      v.with.push_back(std::move(part));
    }
    start = cut + 1;
  }
  return v;
}

shard_spec parse_shard(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    return sweep_error(fmt::format("--shard {}: {}", text, why));
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) throw fail("expected I/N, e.g. 1/4");
  const auto number = [&](std::string_view s) {
    std::uint32_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
      throw fail("expected I/N with whole numbers, e.g. 1/4");
    }
    return v;
  };
  shard_spec s{number(text.substr(0, slash)), number(text.substr(slash + 1))};
  if (s.count == 0) throw fail("N must be at least 1");
  if (s.index < 1 || s.index > s.count) throw fail("I must be between 1 and N");
  return s;
}

sweep_plan::sweep_plan(std::vector<varied_key> vary, std::uint32_t seeds, std::uint64_t first_seed)
    : vary_(std::move(vary)), seeds_(seeds), first_seed_(first_seed) {
  if (seeds_ == 0) throw sweep_error("--seeds must be at least 1");
  std::set<std::string> keys;
  std::size_t product = seeds_;
  const auto check_key = [&](const std::string& key) {
    if (key == "simulation.seed") {
      throw sweep_error("--vary simulation.seed: use --seeds N (and --set simulation.seed=FIRST)");
    }
    if (!keys.insert(key).second) {
      throw sweep_error(fmt::format("--vary {}: key given twice", key));
    }
  };
  for (const auto& v : vary_) {
    check_key(v.key);
    for (const auto& w : v.with) {
      check_key(w.key);
      if (w.values.size() != v.values.size()) {
        throw sweep_error(
            fmt::format("--vary {}: {} values, but {} has {}: keys joined with ';' vary together",
                        w.key, w.values.size(), v.key, v.values.size()));
      }
    }
    if (v.values.empty()) throw sweep_error(fmt::format("--vary {}: no values", v.key));
    std::set<std::string_view> seen;
    for (const auto& value : v.values) {
      if (!seen.insert(value).second) {
        throw sweep_error(fmt::format("--vary {}: value '{}' given twice", v.key, value));
      }
    }
    if (product > max_runs / v.values.size()) {
      throw sweep_error(fmt::format("the sweep has more than {} runs", max_runs));
    }
    product *= v.values.size();
  }
  if (first_seed_ > UINT64_MAX - (seeds_ - 1)) throw sweep_error("the seeds overflow 64 bits");

  const std::vector<std::string> names = short_names(vary_);
  const std::size_t n = combinations();
  labels_.reserve(n);
  for (std::size_t c = 0; c < n; ++c) {
    const std::vector<std::string> vals = values(c);
    std::string label;
    for (std::size_t k = 0; k < vals.size(); ++k) {
      if (!label.empty()) label += '+';
      label += names[k] + "=" + label_part(vals[k]);
    }
    labels_.push_back(label.empty() ? std::string("base") : label);
  }
  std::set<std::string_view> distinct(labels_.begin(), labels_.end());
  if (distinct.size() != labels_.size()) {
    const int width = static_cast<int>(fmt::format("{}", n - 1).size());
    for (std::size_t c = 0; c < n; ++c)
      labels_[c] = fmt::format("{:0{}}-{}", c, width, labels_[c]);
  }
}

std::size_t sweep_plan::combinations() const {
  std::size_t n = 1;
  for (const auto& v : vary_)
    n *= v.values.size();
  return n;
}

std::vector<std::string> sweep_plan::values(std::size_t combination) const {
  std::vector<std::string> out(vary_.size());
  for (std::size_t k = vary_.size(); k-- > 0;) {
    const std::size_t size = vary_[k].values.size();
    out[k] = vary_[k].values[combination % size];
    combination /= size;
  }
  return out;
}

std::vector<std::string> sweep_plan::overrides(std::size_t combination) const {
  std::vector<std::string> out;
  for (std::size_t k = vary_.size(); k-- > 0;) {
    const varied_key& v = vary_[k];
    const std::size_t i = combination % v.values.size();
    combination /= v.values.size();
    for (auto w = v.with.rbegin(); w != v.with.rend(); ++w)
      out.push_back(w->key + "=" + w->values[i]);
    out.push_back(v.key + "=" + v.values[i]);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string sweep_plan::label(std::size_t combination) const {
  return labels_.at(combination);
}

run_ref sweep_plan::run(std::size_t index) const {
  return run_ref{index, index / seeds_, first_seed_ + index % seeds_};
}

std::vector<run_ref> sweep_plan::shard_runs(shard_spec shard) const {
  std::vector<run_ref> out;
  for (std::size_t k = shard.index - 1; k < runs(); k += shard.count)
    out.push_back(run(k));
  return out;
}

bool sweep_manifest::same_sweep(const sweep_manifest& other) const {
  return swarmsim_version == other.swarmsim_version &&
         scenario_fingerprint == other.scenario_fingerprint && plan == other.plan;
}

std::string scenario_fingerprint(std::string_view resolved_yaml) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char c : resolved_yaml) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

std::string format_manifest_json(const sweep_manifest& m) {
  const auto string_list = [](const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += ", ";
      out += json_string(items[i]);
    }
    return out + "]";
  };
  std::string vary = "[";
  for (std::size_t i = 0; i < m.plan.vary().size(); ++i) {
    const varied_key& v = m.plan.vary()[i];
    std::string with;
    for (const linked_key& w : v.with)
      with += fmt::format("{}{{\"key\": {}, \"values\": {}}}", with.empty() ? "" : ", ",
                          json_string(w.key), string_list(w.values));
    vary += fmt::format("{}\n    {{\"key\": {}, \"values\": {}{}}}", i > 0 ? "," : "",
                        json_string(v.key), string_list(v.values),
                        v.with.empty() ? "" : ", \"with\": [" + with + "]");
  }
  vary += m.plan.vary().empty() ? "]" : "\n  ]";
  std::string out = "{\n";
  out += fmt::format("  \"swarmsim_version\": {},\n", json_string(m.swarmsim_version));
  out += fmt::format("  \"scenario\": {},\n", json_string(m.scenario));
  out += fmt::format("  \"scenario_name\": {},\n", json_string(m.scenario_name));
  out += fmt::format("  \"scenario_fingerprint\": {},\n", json_string(m.scenario_fingerprint));
  out += fmt::format("  \"set\": {},\n", string_list(m.set));
  out += fmt::format("  \"vary\": {},\n", vary);
  out += fmt::format("  \"seeds\": {},\n", m.plan.seeds());
  out += fmt::format("  \"first_seed\": {},\n", m.plan.first_seed());
  out += fmt::format("  \"combinations\": {},\n", m.plan.combinations());
  out += fmt::format("  \"runs\": {}", m.plan.runs());
  if (m.shard) {
    out += fmt::format(",\n  \"shard\": {{\"index\": {}, \"count\": {}}}", m.shard->index,
                       m.shard->count);
  }
  out += "\n}\n";
  return out;
}

sweep_manifest parse_manifest_json(std::string_view text, std::string_view source) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) throw sweep_error(fmt::format("{}: expected a JSON object", source));
    const auto field = [&](const char* key) {
      const YAML::Node n = root[key];
      if (!n) throw sweep_error(fmt::format("{}: missing \"{}\"", source, key));
      return n;
    };
    std::vector<varied_key> vary;
    for (const auto& v : field("vary")) {
      varied_key k{v["key"].as<std::string>(), v["values"].as<std::vector<std::string>>(), {}};
      for (const auto& w : v["with"])
        k.with.push_back({w["key"].as<std::string>(), w["values"].as<std::vector<std::string>>()});
      vary.push_back(std::move(k));
    }
    sweep_manifest m{field("swarmsim_version").as<std::string>(),
                     field("scenario").as<std::string>(),
                     field("scenario_name").as<std::string>(),
                     field("scenario_fingerprint").as<std::string>(),
                     field("set").as<std::vector<std::string>>(),
                     sweep_plan(std::move(vary), field("seeds").as<std::uint32_t>(),
                                field("first_seed").as<std::uint64_t>()),
                     std::nullopt};
    if (const YAML::Node shard = root["shard"]) {
      m.shard = shard_spec{shard["index"].as<std::uint32_t>(), shard["count"].as<std::uint32_t>()};
      if (m.shard->count == 0 || m.shard->index < 1 || m.shard->index > m.shard->count) {
        throw sweep_error(
            fmt::format("{}: bad shard {}/{}", source, m.shard->index, m.shard->count));
      }
    }
    return m;
  } catch (const YAML::Exception& e) {
    throw sweep_error(fmt::format("{}: not a sweep manifest: {}", source, e.msg));
  } catch (const sweep_error& e) {
    if (std::string_view(e.what()).starts_with(source)) throw;
    throw sweep_error(fmt::format("{}: {}", source, e.what()));
  }
}

}  // namespace swarmsim::sim
