#pragma once
// Internals of the scenario file format, shared by its parts (not for other
// users: sim/scenario/scenario.hpp is the interface):
//   scenario_schema.cpp    the fields of every section, each read and written
//                          by one table entry, in the order of the file (a
//                          group's in scenario_group_schema.cpp)
//   scenario_load.cpp      YAML -> scenario: checked values and the checks that
//                          span fields, errors as FILE:LINE:COLUMN
//   scenario_override.cpp  --set key.path=value, applied to the tree before loading
//   scenario_save.cpp      scenario -> YAML, every field written out
//
// Invariants of the tables (fields of R, read into R and written from W):
// 1. A section is read and written in the order of its table; the keys a map
//    may hold are the table's keys, and the order of the table is the order in
//    which close keys are suggested for a misspelt one.
// 2. Every entry has a read; every entry but a read-only alias (role,
//    defaults) has a write, so a field cannot be read and not written.
// 3. A write emits the key and its value, or nothing for a field left out
//    when empty (classes) or given another way (site / sites).

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::scenario_yaml {

using path_t = std::vector<std::string>;
using keys_t = std::span<const std::string_view>;

inline path_t child(path_t p, std::string_view key) {
  p.emplace_back(key);
  return p;
}

bool starts_with(const path_t& p, const path_t& prefix);
bool all_digits(std::string_view s);
// "file:line:column", 1-based; the start of the file when the mark is unknown.
std::string location(std::string_view source, const YAML::Mark& mark);
// "a map", "a list", "a value" or "nothing".
std::string_view kind_of(const YAML::Node& n);
// " (did you mean 'x'?)" for the candidate that `word` abbreviates, or else the
// closest one within a few edits; "" if none is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

// ---- names of enum values ------------------------------------------------------

template <typename E>
struct enum_name {
  std::string_view name;
  E value;
};

inline constexpr std::array<enum_name<content_kind>, 3> content_names{{
    {"none", content_kind::none},
    {"all", content_kind::all},
    {"partition", content_kind::partition},
}};
inline constexpr std::array<enum_name<content_kind>, 2> role_names{{
    {"seed", content_kind::all},
    {"leecher", content_kind::none},
}};
inline constexpr std::array<enum_name<after_completion_kind>, 2> after_completion_names{{
    {"stay", after_completion_kind::stay},
    {"leave", after_completion_kind::leave},
}};
inline constexpr std::array<enum_name<protocol::seed_choking>, 2> seed_mode_names{{
    {"round_robin", protocol::seed_choking::round_robin},
    {"fastest_upload", protocol::seed_choking::fastest_upload},
}};
inline constexpr std::array<enum_name<protocol::have_to>, 2> send_have_names{{
    {"all", protocol::have_to::all},
    {"lacking", protocol::have_to::lacking},
}};
inline constexpr std::array<enum_name<trace_kind>, 2> trace_names{{
    {"unchoke", trace_kind::unchoke},
    {"interest", trace_kind::interest},
}};
inline constexpr std::array<enum_name<stop_kind>, 2> stop_names{{
    {"all_complete", stop_kind::all_complete},
    {"time_limit", stop_kind::time_limit},
}};

template <typename E, std::size_t N>
std::string name_of(const std::array<enum_name<E>, N>& names, E value) {
  for (const auto& n : names)
    if (n.value == value) return std::string(n.name);
  return "?";
}

template <typename E, std::size_t N>
std::vector<std::string_view> names(const std::array<enum_name<E>, N>& table) {
  std::vector<std::string_view> out;
  for (const auto& n : table)
    out.push_back(n.name);
  return out;
}

// ---- the tree being read ----------------------------------------------------------

// An override as given and the path it resolved to (list elements by index).
struct override_record {
  std::string text;
  path_t path;
};

// A node of the tree and its path (list elements by index).
struct located {
  YAML::Node node;
  path_t path;

  // The field name this value belongs to, for messages.
  std::string_view key() const {
    for (auto it = path.rbegin(); it != path.rend(); ++it)
      if (!all_digits(*it)) return *it;
    return "scenario";
  }
};

// A group being read, and where each of its fields was last written
// ("name", "sites", "choker.upload_slots", ...), for the checks that follow.
struct group_draft {
  group_spec spec;
  located where;
  std::map<std::string, located, std::less<>> origins;
};

// Applies "key.path=value" to the tree; returns the path it resolved to.
override_record apply_override(YAML::Node& root, const std::string& text);

class loader;

// A map node whose keys have been checked against the known ones; hands out its fields.
class map_view {
 public:
  map_view(const loader& l, const located& at, keys_t known, std::string_view expected);
  std::optional<located> get(std::string_view key) const;
  std::size_t size() const { return fields_.size(); }
  const std::vector<std::pair<std::string, located>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, located>> fields_;
};

// Reads checked values out of the tree; every problem throws scenario_error
// located in the file, or naming the override that made the value.
class loader {
 public:
  loader(std::string source, std::vector<override_record> overrides)
      : source_(std::move(source)), overrides_(std::move(overrides)) {}

  scenario read(const YAML::Node& root) const;

  [[noreturn]] void fail(const YAML::Node& at, const path_t& p, std::string_view msg) const;
  [[noreturn]] void fail(const located& at, std::string_view msg) const {
    fail(at.node, at.path, msg);
  }
  // Whether an override replaced this value.
  bool overridden(const located& v) const;
  const std::vector<override_record>& overrides() const { return overrides_; }

  std::string scalar(const located& v, std::string_view expected) const;
  std::string read_string(const located& v) const { return scalar(v, "a string"); }
  std::uint64_t read_whole(const located& v, std::uint64_t min, std::uint64_t max) const;
  bool read_bool(const located& v) const;
  double read_rate(const located& v) const;
  // A plain number in [min, max] (min excluded when `above_min`).
  double read_number(const located& v, double min, double max, bool above_min) const;
  // Events per second, e.g. 2/s or 30/min; `expected` names them in messages.
  double read_frequency(const located& v, std::string_view expected) const;
  std::uint64_t read_size(const located& v, std::uint64_t max) const;
  duration read_duration(const located& v, bool positive) const;
  template <typename E, std::size_t N>
  E read_enum(const located& v, const std::array<enum_name<E>, N>& table) const {
    const auto choices = names(table);
    const std::string text = scalar(v, fmt::format("one of {}", fmt::join(choices, ", ")));
    for (const auto& n : table)
      if (n.name == text) return n.value;
    fail(v, fmt::format("{}: unknown value '{}'{} (expected one of {})", v.key(), text,
                        did_you_mean(text, choices), fmt::join(choices, ", ")));
  }

 private:
  std::string source_;
  std::vector<override_record> overrides_;
};

// ---- the tables -------------------------------------------------------------------

// What a field's read sees: the loader and the map the field is in (for
// fields that exclude one another).
struct reading {
  const loader& l;
  const map_view& m;
};

template <typename R, typename W = R>
struct field {
  std::string_view key;
  void (*read)(const reading& r, const located& v, R& out);
  void (*write)(YAML::Emitter& out, std::string_view key, const W& in);  // null: read only
};

// (A table is any range of fields: an array, a span.)
template <typename Table>
std::vector<std::string_view> keys_of(const Table& table) {
  std::vector<std::string_view> keys;
  for (const auto& f : table)
    keys.push_back(f.key);
  return keys;
}

// Reads the fields `m` holds into `out`, in the table's order.
template <typename Table, typename R>
void read_fields(const loader& l, const map_view& m, const Table& table, R& out) {
  const reading r{l, m};
  for (const auto& f : table)
    if (const auto v = m.get(f.key)) f.read(r, *v, out);
}

// Writes every field of `in` (a map's entries, between BeginMap and EndMap).
template <typename Table, typename W>
void write_fields(YAML::Emitter& out, const Table& table, const W& in) {
  for (const auto& f : table)
    if (f.write) f.write(out, f.key, in);
}

// The top level's fields (scenario_schema.cpp) and a group's
// (scenario_group_schema.cpp).
std::span<const field<scenario>> scenario_fields();
std::span<const field<group_draft, group_spec>> group_fields();

// ---- the checks that span fields (scenario_load.cpp) -------------------------------

// Torrent sizes that fit together (torrent_geometry::validate).
void check_torrent(const loader& l, const located& at, const map_view& m, const torrent_spec& t);
// Every site reaches every other over the links.
void check_routes(const loader& l, const map_view& m, const network_spec& net);
// The links of `at`, between the sites of `net`.
std::vector<link_spec> read_links(const loader& l, const located& at, const network_spec& net);
// The groups (the `groups` list over the `defaults` block of `top`), checked.
std::vector<group_spec> read_groups(const loader& l, const map_view& top, const network_spec& net);

// A group's playback (scenario_playback_schema.cpp): `none`, or a map with a
// bitrate; written only when there is a viewer.
void read_playback(const loader& l, const located& at, protocol::playback_options& out);
void write_playback(YAML::Emitter& out, std::string_view key, const protocol::playback_options& p);

// ---- writing (scenario_save.cpp) ---------------------------------------------------

// A string, quoted when YAML would read it as nothing.
void put_string(YAML::Emitter& out, const std::string& s);
void put(YAML::Emitter& out, std::string_view key, const std::string& value);
template <typename T>
void put_value(YAML::Emitter& out, std::string_view key, const T& value) {
  out << YAML::Key << std::string(key) << YAML::Value << value;
}

// ---- codecs: a value's text, both ways, and fields made of them -----------------

inline constexpr std::uint32_t u32_max = std::numeric_limits<std::uint32_t>::max();
inline constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

template <std::uint64_t Min = 0, std::uint64_t Max = u32_max>
struct whole {
  static std::uint64_t read(const loader& l, const located& v) { return l.read_whole(v, Min, Max); }
  static void write(YAML::Emitter& out, std::uint64_t x) { out << x; }
};

struct boolean {
  static bool read(const loader& l, const located& v) { return l.read_bool(v); }
  static void write(YAML::Emitter& out, bool x) { out << x; }
};

template <bool Positive>
struct time_span {
  static duration read(const loader& l, const located& v) { return l.read_duration(v, Positive); }
  static void write(YAML::Emitter& out, duration x) { out << format_duration(x); }
};

template <std::uint64_t Max>
struct size {
  static std::uint64_t read(const loader& l, const located& v) { return l.read_size(v, Max); }
  static void write(YAML::Emitter& out, std::uint64_t x) { out << format_size(x); }
};

struct rate {
  static double read(const loader& l, const located& v) { return l.read_rate(v); }
  static void write(YAML::Emitter& out, double x) { out << format_rate(x); }
};

template <const auto& Names>
struct named {
  static auto read(const loader& l, const located& v) { return l.read_enum(v, Names); }
  template <typename E>
  static void write(YAML::Emitter& out, E x) {
    out << name_of(Names, x);
  }
};

// A number in [0, 1], written as the shortest text that reads back the same.
struct fraction {
  static double read(const loader& l, const located& v) { return l.read_number(v, 0, 1, false); }
  static void write(YAML::Emitter& out, double x) { out << fmt::format("{}", x); }
};

struct text {
  static std::string read(const loader& l, const located& v) { return l.read_string(v); }
  static void write(YAML::Emitter& out, const std::string& x) { put_string(out, x); }
};

template <typename T>
struct member_of;
template <typename C, typename T>
struct member_of<T C::*> {
  using owner = C;
  using type = T;
};
template <auto M>
using owner_t = typename member_of<decltype(M)>::owner;

// The object a table of R's fields writes into.
template <typename T>
T& spec_of(T& t) {
  return t;
}
inline group_spec& spec_of(group_draft& g) {
  return g.spec;
}

// A field held at `Member` of the section's object.
template <typename Codec, auto Member, typename R = owner_t<Member>>
constexpr field<R, owner_t<Member>> plain(std::string_view key) {
  using W = owner_t<Member>;
  using T = typename member_of<decltype(Member)>::type;
  return {key,
          [](const reading& r, const located& v, R& out) {
            spec_of(out).*Member = static_cast<T>(Codec::read(r.l, v));
          },
          [](YAML::Emitter& out, std::string_view k, const W& in) {
            out << YAML::Key << std::string(k) << YAML::Value;
            Codec::write(out, in.*Member);
          }};
}

// A group's field held at `Member` of its protocol options.
template <typename Codec, auto Member>
constexpr field<group_draft, group_spec> peer(std::string_view key) {
  using T = typename member_of<decltype(Member)>::type;
  return {key,
          [](const reading& r, const located& v, group_draft& g) {
            g.spec.peer.*Member = static_cast<T>(Codec::read(r.l, v));
          },
          [](YAML::Emitter& out, std::string_view k, const group_spec& in) {
            out << YAML::Key << std::string(k) << YAML::Value;
            Codec::write(out, in.peer.*Member);
          }};
}

// Reads the map `at` with `table` into `out`; returns it for further checks.
template <typename Table, typename R>
map_view read_map(const loader& l, const located& at, const Table& table, std::string_view expected,
                  R& out) {
  const auto keys = keys_of(table);
  map_view m(l, at, keys, expected);
  read_fields(l, m, table, out);
  return m;
}

// Writes `key: {fields of in}`.
template <typename Table, typename W>
void write_map(YAML::Emitter& out, std::string_view key, const Table& table, const W& in,
               YAML::EMITTER_MANIP style = YAML::Block) {
  out << YAML::Key << std::string(key) << YAML::Value << style << YAML::BeginMap;
  write_fields(out, table, in);
  out << YAML::EndMap;
}

}  // namespace swarmsim::sim::scenario_yaml
