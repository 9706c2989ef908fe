#include "sim/scenario.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string_view>

#include "protocol/torrent_geometry.hpp"
#include "sim/units.hpp"

namespace swarmsim::sim {

bool operator==(const group_spec& a, const group_spec& b) {
  const auto& pa = a.picker;
  const auto& pb = b.picker;
  const bool picker_equal =
      pa.policy == pb.policy && pa.random_first_pieces == pb.random_first_pieces &&
      pa.finish_started_first == pb.finish_started_first && pa.endgame == pb.endgame &&
      pa.max_endgame_duplicates == pb.max_endgame_duplicates;
  const auto& ca = a.choker;
  const auto& cb = b.choker;
  const bool choker_equal =
      ca.upload_slots == cb.upload_slots && ca.slots == cb.slots &&
      ca.optimistic_slots == cb.optimistic_slots && ca.rechoke_interval == cb.rechoke_interval &&
      ca.optimistic_interval == cb.optimistic_interval && ca.snub_timeout == cb.snub_timeout &&
      ca.new_peer_window == cb.new_peer_window && ca.new_peer_weight == cb.new_peer_weight &&
      ca.seed_mode == cb.seed_mode && ca.round_robin_bytes == cb.round_robin_bytes &&
      ca.round_robin_min_time == cb.round_robin_min_time && ca.super_seeding == cb.super_seeding;
  return picker_equal && choker_equal && a.name == b.name && a.count == b.count &&
         a.content == b.content && a.upload == b.upload && a.download == b.download &&
         a.site == b.site && a.arrival == b.arrival && a.after_completion == b.after_completion &&
         a.leave_at == b.leave_at && a.pipeline_depth == b.pipeline_depth &&
         a.max_connections == b.max_connections && a.max_initiate == b.max_initiate &&
         a.min_peers == b.min_peers && a.inactivity_timeout == b.inactivity_timeout &&
         a.reconnect_delay == b.reconnect_delay && a.abort == b.abort && a.classes == b.classes &&
         a.sites == b.sites && a.upload_cap == b.upload_cap;
}

namespace {

// "file:line:column", 1-based; the start of the file when the mark is unknown.
std::string location(std::string_view source, const YAML::Mark& mark) {
  if (mark.is_null()) return fmt::format("{}:1:1", source);
  return fmt::format("{}:{}:{}", source, mark.line + 1, mark.column + 1);
}

using path_t = std::vector<std::string>;
using keys_t = std::span<const std::string_view>;

path_t child(path_t p, std::string_view key) {
  p.emplace_back(key);
  return p;
}

bool starts_with(const path_t& p, const path_t& prefix) {
  return p.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), p.begin());
}

// Whether results/<name> is a directory right under results/.
bool usable_as_directory_name(std::string_view name) {
  const auto bad = [](char c) {
    return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  };
  return !name.empty() && name != "." && name != ".." &&
         std::none_of(name.begin(), name.end(), bad);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ---- names -------------------------------------------------------------------

template <typename E>
struct enum_name {
  std::string_view name;
  E value;
};

constexpr std::array<enum_name<content_kind>, 3> content_names{{
    {"none", content_kind::none},
    {"all", content_kind::all},
    {"partition", content_kind::partition},
}};
constexpr std::array<enum_name<content_kind>, 2> role_names{{
    {"seed", content_kind::all},
    {"leecher", content_kind::none},
}};
constexpr std::array<enum_name<after_completion_kind>, 2> after_completion_names{{
    {"stay", after_completion_kind::stay},
    {"leave", after_completion_kind::leave},
}};
constexpr std::array<enum_name<protocol::pick_policy>, 3> policy_names{{
    {"rarest_first", protocol::pick_policy::rarest_first},
    {"sequential", protocol::pick_policy::sequential},
    {"random", protocol::pick_policy::random},
}};
constexpr std::array<enum_name<protocol::seed_choking>, 2> seed_mode_names{{
    {"round_robin", protocol::seed_choking::round_robin},
    {"fastest_upload", protocol::seed_choking::fastest_upload},
}};
constexpr std::array<enum_name<seed_time_kind>, 3> seed_time_names{{
    {"fixed", seed_time_kind::fixed},
    {"exponential", seed_time_kind::exponential},
    {"lognormal", seed_time_kind::lognormal},
}};
constexpr std::array<enum_name<trace_kind>, 2> trace_names{{
    {"unchoke", trace_kind::unchoke},
    {"interest", trace_kind::interest},
}};
constexpr std::array<enum_name<stop_kind>, 2> stop_names{{
    {"all_complete", stop_kind::all_complete},
    {"time_limit", stop_kind::time_limit},
}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<enum_name<E>, N>& names, E value) {
  for (const auto& n : names)
    if (n.value == value) return n.name;
  return "?";
}

constexpr std::array<std::string_view, 8> top_keys{
    "name", "description", "torrent", "tracker", "network", "defaults", "groups", "simulation"};
constexpr std::array<std::string_view, 3> torrent_keys{"size", "piece_size", "block_size"};
constexpr std::array<std::string_view, 5> tracker_keys{"numwant", "announce_interval",
                                                       "min_interval", "expire_after", "latency"};
constexpr std::array<std::string_view, 3> network_keys{"sites", "links", "local_latency"};
constexpr std::array<std::string_view, 1> site_keys{"name"};
constexpr std::array<std::string_view, 3> link_keys{"a", "b", "latency"};
constexpr std::array<std::string_view, 22> group_keys{
    "name",           "count",           "role",
    "content",        "upload",          "download",
    "site",           "arrival",         "after_completion",
    "leave_at",       "picker",          "choker",
    "pipeline_depth", "max_connections", "max_initiate",
    "abort",          "classes",         "sites",
    "upload_cap",     "min_peers",       "inactivity_timeout",
    "reconnect_delay"};
constexpr std::array<std::string_view, 2> abort_keys{"probability", "rate"};
constexpr std::array<std::string_view, 4> class_keys{"name", "share", "upload", "download"};
constexpr std::array<std::string_view, 2> lognormal_keys{"median", "sigma"};
constexpr std::array<std::string_view, 3> arrival_keys{"at", "uniform", "poisson"};
constexpr std::array<std::string_view, 2> uniform_keys{"start", "window"};
constexpr std::array<std::string_view, 2> poisson_keys{"start", "rate"};
constexpr std::array<std::string_view, 1> content_keys{"fraction"};
constexpr std::array<std::string_view, 1> after_completion_keys{"seed_for"};
constexpr std::array<std::string_view, 5> picker_keys{
    "policy", "random_first_pieces", "finish_started_first", "endgame", "max_endgame_duplicates"};
constexpr std::array<std::string_view, 11> choker_keys{
    "upload_slots",      "optimistic_slots",     "rechoke_interval", "optimistic_interval",
    "snub_timeout",      "new_peer_window",      "new_peer_weight",  "seed_mode",
    "round_robin_bytes", "round_robin_min_time", "super_seeding"};
constexpr std::array<std::string_view, 6> simulation_keys{
    "seed", "stop", "time_limit", "sample_interval", "overlay_interval", "trace"};

// Edit distance with adjacent transpositions (optimal string alignment).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// " (did you mean 'x'?)" for the candidate that `word` abbreviates, or else the
// closest one within a few edits; "" if none is close.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  if (word.size() >= 3)
    for (std::string_view c : candidates)
      if (c.starts_with(word)) return fmt::format(" (did you mean '{}'?)", c);
  const std::size_t limit = std::clamp<std::size_t>((word.size() + 2) / 3, 1, 3);
  std::string_view best;
  std::size_t best_distance = limit + 1;
  for (std::string_view c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance && d < word.size()) best = c, best_distance = d;
  }
  return best.empty() ? std::string{} : fmt::format(" (did you mean '{}'?)", best);
}

template <typename E, std::size_t N>
std::vector<std::string_view> names(const std::array<enum_name<E>, N>& table) {
  std::vector<std::string_view> out;
  for (const auto& n : table)
    out.push_back(n.name);
  return out;
}

std::string_view kind_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a value";
    default:
      return "nothing";
  }
}

// ---- the loader ----------------------------------------------------------------

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

// A group being read, and where each field that later checks refer to was written.
struct group_draft {
  group_spec spec;
  located where;
  std::map<std::string, located, std::less<>> origins;  // "site", "choker.upload_slots", ...
  bool has_name = false;
};

class loader {
 public:
  loader(std::string source, std::vector<override_record> overrides)
      : source_(std::move(source)), overrides_(std::move(overrides)) {}

  scenario read(const YAML::Node& root) const;

 private:
  // A map node whose keys have been checked; hands out its fields.
  class map_view {
   public:
    map_view(const loader& l, const located& at, keys_t known, std::string_view expected);
    std::optional<located> get(std::string_view key) const;
    std::size_t size() const { return fields_.size(); }
    const std::vector<std::pair<std::string, located>>& fields() const { return fields_; }

   private:
    std::vector<std::pair<std::string, located>> fields_;
  };

  [[noreturn]] void fail(const YAML::Node& at, const path_t& p, std::string_view msg) const;
  // Whether an override replaced this value.
  bool overridden(const located& v) const {
    return std::any_of(overrides_.begin(), overrides_.end(),
                       [&](const override_record& o) { return starts_with(v.path, o.path); });
  }
  [[noreturn]] void fail(const located& at, std::string_view msg) const {
    fail(at.node, at.path, msg);
  }

  std::string scalar(const located& v, std::string_view expected) const;
  std::string read_string(const located& v) const { return scalar(v, "a string"); }
  std::uint64_t read_whole(const located& v, std::uint64_t min, std::uint64_t max) const;
  std::uint32_t read_u32(const located& v, std::uint32_t min = 0) const {
    return static_cast<std::uint32_t>(
        read_whole(v, min, std::numeric_limits<std::uint32_t>::max()));
  }
  bool read_bool(const located& v) const;
  double read_rate(const located& v) const;
  // A plain number in [min, max] (min excluded when `above_min`).
  double read_number(const located& v, double min, double max, bool above_min) const;
  std::uint64_t read_size(const located& v, std::uint64_t max) const;
  duration read_duration(const located& v, bool positive) const;
  template <typename E, std::size_t N>
  E read_enum(const located& v, const std::array<enum_name<E>, N>& table) const;

  void set(const map_view& m, std::string_view key, std::uint32_t& out, std::uint32_t min = 0,
           std::uint32_t max = std::numeric_limits<std::uint32_t>::max()) const {
    if (auto v = m.get(key)) out = static_cast<std::uint32_t>(read_whole(*v, min, max));
  }
  void set(const map_view& m, std::string_view key, bool& out) const {
    if (auto v = m.get(key)) out = read_bool(*v);
  }
  void set_duration(const map_view& m, std::string_view key, duration& out, bool positive) const {
    if (auto v = m.get(key)) out = read_duration(*v, positive);
  }

  torrent_spec read_torrent(const located& at) const;
  tracker_spec read_tracker(const located& at) const;
  network_spec read_network(const located& at) const;
  simulation_spec read_simulation(const located& at) const;
  void read_group_fields(const map_view& m, group_draft& g) const;
  content_spec read_content(const located& at) const;
  arrival_spec read_arrival(const located& at) const;
  after_completion_spec read_after_completion(const located& at) const;
  abort_spec read_abort(const located& at) const;
  std::vector<bandwidth_class> read_classes(const located& at) const;
  std::vector<site_share> read_site_shares(const located& at) const;
  std::optional<double> read_upload_cap(const located& at) const;
  void read_picker(const located& at, group_draft& g) const;
  void read_choker(const located& at, group_draft& g) const;
  std::vector<group_draft> read_groups(const map_view& top) const;
  void check_sites(std::vector<group_draft>& groups, const network_spec& net) const;

  std::string source_;
  std::vector<override_record> overrides_;
};

void loader::fail(const YAML::Node& at, const path_t& p, std::string_view msg) const {
  const YAML::Mark mark = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
  for (auto o = overrides_.rbegin(); o != overrides_.rend(); ++o) {
    const bool inside_override = starts_with(p, o->path);
    const bool made_by_override = mark.is_null() && !p.empty() && starts_with(o->path, p);
    if (inside_override || made_by_override)
      throw scenario_error(fmt::format("--set {}: {}", o->text, msg));
  }
  throw scenario_error(fmt::format("{}: {}", location(source_, mark), msg));
}

loader::map_view::map_view(const loader& l, const located& at, keys_t known,
                           std::string_view expected) {
  if (!at.node.IsDefined() || at.node.IsNull()) return;
  if (!at.node.IsMap())
    l.fail(at, fmt::format("{}: expected {}, got {}", at.key(), expected, kind_of(at.node)));
  for (auto it = at.node.begin(); it != at.node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) l.fail(key, at.path, fmt::format("{}: keys must be names", at.key()));
    const std::string& name = key.Scalar();
    const path_t p = child(at.path, name);
    if (std::find(known.begin(), known.end(), name) == known.end())
      l.fail(key, p,
             name == "<<" ? std::string("unknown key '<<' (YAML merge keys are not supported; put "
                                        "fields that groups share in 'defaults:')")
                          : fmt::format("unknown key '{}'{}", name, did_you_mean(name, known)));
    for (const auto& [seen, value] : fields_)
      if (seen == name) {
        const YAML::Mark first = value.node.Mark();
        l.fail(key, p,
               fmt::format("duplicate key '{}' (first given at line {})", name, first.line + 1));
      }
    fields_.emplace_back(name, located{it->second, p});
  }
}

std::optional<located> loader::map_view::get(std::string_view key) const {
  for (const auto& [name, value] : fields_)
    if (name == key) return value;
  return std::nullopt;
}

std::string loader::scalar(const located& v, std::string_view expected) const {
  if (!v.node.IsScalar())
    fail(v, fmt::format("{}: expected {}, got {}", v.key(), expected, kind_of(v.node)));
  return v.node.Scalar();
}

std::uint64_t loader::read_whole(const located& v, std::uint64_t min, std::uint64_t max) const {
  const std::string text = scalar(v, "a whole number");
  const auto parsed = parse_whole_number(text);
  if (!parsed) fail(v, fmt::format("{}: {}", v.key(), parsed.error));
  const std::uint64_t value = *parsed;
  if (value > max) fail(v, fmt::format("{}: {} is too large (at most {})", v.key(), text, max));
  if (value < min) fail(v, fmt::format("{}: must be at least {}, got {}", v.key(), min, text));
  return value;
}

bool loader::read_bool(const located& v) const {
  const std::string text = scalar(v, "true or false");
  bool value = false;
  if (!YAML::convert<bool>::decode(v.node, value))
    fail(v, fmt::format("{}: expected true or false, got '{}'", v.key(), text));
  return value;
}

double loader::read_rate(const located& v) const {
  const auto r = parse_rate(scalar(v, "a rate like 10Mbit/s"));
  if (!r) fail(v, fmt::format("{}: {}", v.key(), r.error));
  if (*r <= 0) fail(v, fmt::format("{}: rate must be greater than 0", v.key()));
  return *r;
}

double loader::read_number(const located& v, double min, double max, bool above_min) const {
  const std::string text = scalar(v, "a number");
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    fail(v, fmt::format("{}: expected a number, got '{}'", v.key(), text));
  if (value < min || value > max || (above_min && value == min))
    fail(v, fmt::format("{}: {} is outside {}{}, {}]", v.key(), text, above_min ? "(" : "[", min,
                        max));
  return value;
}

std::uint64_t loader::read_size(const located& v, std::uint64_t max) const {
  const auto s = parse_size(scalar(v, "a size like 256KiB"));
  if (!s) fail(v, fmt::format("{}: {}", v.key(), s.error));
  if (*s == 0) fail(v, fmt::format("{}: size must be greater than 0", v.key()));
  if (*s > max) fail(v, fmt::format("{}: size is too large (at most {} bytes)", v.key(), max));
  return *s;
}

duration loader::read_duration(const located& v, bool positive) const {
  const auto d = parse_duration(scalar(v, "a duration like 10s"));
  if (!d) fail(v, fmt::format("{}: {}", v.key(), d.error));
  if (positive && d->count() == 0)
    fail(v, fmt::format("{}: duration must be greater than 0", v.key()));
  return *d;
}

template <typename E, std::size_t N>
E loader::read_enum(const located& v, const std::array<enum_name<E>, N>& table) const {
  const auto choices = names(table);
  const std::string text = scalar(v, fmt::format("one of {}", fmt::join(choices, ", ")));
  for (const auto& n : table)
    if (n.name == text) return n.value;
  fail(v, fmt::format("{}: unknown value '{}'{} (expected one of {})", v.key(), text,
                      did_you_mean(text, choices), fmt::join(choices, ", ")));
}

torrent_spec loader::read_torrent(const located& at) const {
  torrent_spec t;
  const map_view m(*this, at, torrent_keys, "a map of torrent sizes");
  constexpr std::uint64_t u32_max = std::numeric_limits<std::uint32_t>::max();
  const auto size = m.get("size");
  const auto piece = m.get("piece_size");
  const auto block = m.get("block_size");
  if (size) t.size = read_size(*size, std::numeric_limits<std::uint64_t>::max());
  if (piece) t.piece_size = static_cast<std::uint32_t>(read_size(*piece, u32_max));
  if (block) t.block_size = static_cast<std::uint32_t>(read_size(*block, u32_max));
  if (const auto error = protocol::torrent_geometry::validate(t.size, t.piece_size, t.block_size)) {
    // Blame the field the text is about, else piece_size, else whichever was given.
    std::optional<located> blame = error->starts_with("block size")     ? block
                                   : error->starts_with("torrent size") ? size
                                                                        : piece;
    for (const auto& field : {piece, block, size})
      if (field && overridden(*field)) blame = field;
    if (!blame) blame = piece ? piece : block ? block : size;
    if (!blame) blame = at;
    fail(*blame, fmt::format("{}: {}", blame->key(), *error));
  }
  return t;
}

tracker_spec loader::read_tracker(const located& at) const {
  tracker_spec t;
  const map_view m(*this, at, tracker_keys, "a map of tracker settings");
  set(m, "numwant", t.numwant);
  set_duration(m, "announce_interval", t.announce_interval, true);
  set_duration(m, "min_interval", t.min_interval, false);
  set_duration(m, "expire_after", t.expire_after, true);
  set_duration(m, "latency", t.latency, false);
  return t;
}

network_spec loader::read_network(const located& at) const {
  network_spec net;
  const map_view m(*this, at, network_keys, "a map of network settings");
  set_duration(m, "local_latency", net.local_latency, false);
  std::vector<located> site_at;  // where each site was named, when it was
  if (const auto sites = m.get("sites")) {
    if (!sites->node.IsSequence())
      fail(*sites,
           fmt::format("sites: expected a list of site names, got {}", kind_of(sites->node)));
    if (sites->node.size() == 0) fail(*sites, "sites: the network needs at least one site");
    net.sites.clear();
    for (std::size_t i = 0; i < sites->node.size(); ++i) {
      located s{sites->node[i], child(sites->path, std::to_string(i))};
      if (s.node.IsMap()) {
        const map_view sm(*this, s, site_keys, "a site");
        const auto name = sm.get("name");
        if (!name) fail(s, "site: needs a 'name'");
        s = *name;
      }
      site_spec site{scalar(s, "a site name")};
      if (site.name.empty()) fail(s, "site: the name must not be empty");
      for (const auto& other : net.sites)
        if (other.name == site.name) fail(s, fmt::format("duplicate site '{}'", site.name));
      net.sites.push_back(std::move(site));
      site_at.push_back(s);
    }
  }
  std::vector<std::string_view> site_names;
  for (const auto& s : net.sites)
    site_names.push_back(s.name);
  if (const auto links = m.get("links")) {
    if (!links->node.IsSequence() && !links->node.IsNull())
      fail(*links, fmt::format("links: expected a list of links, got {}", kind_of(links->node)));
    for (std::size_t i = 0; i < links->node.size(); ++i) {
      const located l{links->node[i], child(links->path, std::to_string(i))};
      const map_view lm(*this, l, link_keys, "a link {a, b, latency}");
      link_spec link;
      for (auto [key, out] : {std::pair{"a", &link.a}, std::pair{"b", &link.b}}) {
        const auto end = lm.get(key);
        if (!end) fail(l, fmt::format("link: needs '{}' (a site name)", key));
        *out = scalar(*end, "a site name");
        if (std::find(site_names.begin(), site_names.end(), *out) == site_names.end())
          fail(*end,
               fmt::format("{}: unknown site '{}'{}", key, *out, did_you_mean(*out, site_names)));
      }
      if (link.a == link.b) fail(l, fmt::format("link: joins site '{}' to itself", link.a));
      const auto latency = lm.get("latency");
      if (!latency) fail(l, "link: needs a 'latency'");
      link.latency = read_duration(*latency, false);
      for (const auto& other : net.links)
        if ((other.a == link.a && other.b == link.b) || (other.a == link.b && other.b == link.a))
          fail(l, fmt::format("duplicate link between '{}' and '{}'", link.a, link.b));
      net.links.push_back(std::move(link));
    }
  }
  // Every site must reach every other one over the links.
  std::set<std::string> reached{net.sites.front().name};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& l : net.links)
      if (reached.contains(l.a) != reached.contains(l.b)) {
        reached.insert(reached.contains(l.a) ? l.b : l.a);
        grew = true;
      }
  }
  for (std::size_t i = 0; i < net.sites.size(); ++i)
    if (!reached.contains(net.sites[i].name))
      fail(site_at[i], fmt::format("site '{}' has no route to site '{}'; add a link",
                                   net.sites[i].name, net.sites.front().name));
  return net;
}

simulation_spec loader::read_simulation(const located& at) const {
  simulation_spec sim;
  const map_view m(*this, at, simulation_keys, "a map of simulation settings");
  if (const auto seed = m.get("seed"))
    sim.seed = read_whole(*seed, 0, std::numeric_limits<std::uint64_t>::max());
  if (const auto stop = m.get("stop")) sim.stop = read_enum(*stop, stop_names);
  set_duration(m, "time_limit", sim.time_limit, true);
  set_duration(m, "sample_interval", sim.sample_interval, true);
  if (const auto v = m.get("overlay_interval")) {
    if (v->node.IsNull() || (v->node.IsScalar() && v->node.Scalar() == "off"))
      sim.overlay_interval.reset();
    else
      sim.overlay_interval = read_duration(*v, true);
  }
  if (const auto v = m.get("trace")) {
    if (!v->node.IsSequence() && !v->node.IsNull())
      fail(*v, fmt::format("trace: expected a list such as [unchoke, interest], got {}",
                           kind_of(v->node)));
    sim.trace.clear();
    for (std::size_t i = 0; i < v->node.size(); ++i) {
      const trace_kind k =
          read_enum(located{v->node[i], child(v->path, std::to_string(i))}, trace_names);
      if (std::find(sim.trace.begin(), sim.trace.end(), k) == sim.trace.end())
        sim.trace.push_back(k);
    }
    std::sort(sim.trace.begin(), sim.trace.end());
  }
  return sim;
}

content_spec loader::read_content(const located& at) const {
  if (at.node.IsMap()) {
    const map_view m(*this, at, content_keys, "a content");
    const auto f = m.get("fraction");
    if (!f) fail(at, "content: expected {fraction: 0.3}");
    const std::string text = scalar(*f, "a number between 0 and 1");
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
      fail(*f, fmt::format("fraction: expected a number between 0 and 1, got '{}'", text));
    if (!(value >= 0 && value <= 1)) fail(*f, fmt::format("fraction: {} is outside [0, 1]", text));
    return {content_kind::fraction, value};
  }
  if (at.node.IsScalar() && at.node.Scalar() == "fraction")
    fail(at, "content: a fraction needs a value, as in {fraction: 0.3}");
  return {read_enum(at, content_names), 0};
}

arrival_spec loader::read_arrival(const located& at) const {
  const map_view m(*this, at, arrival_keys, "{at: 0s}, {uniform: {...}} or {poisson: {...}}");
  if (m.size() != 1)
    fail(at,
         "arrival: give exactly one of {at: T}, {uniform: {start, window}}, "
         "{poisson: {start, rate}}");
  const auto& [kind, value] = m.fields().front();
  arrival_spec a;
  if (kind == "at") {
    a.kind = arrival_kind::at;
    a.start = read_duration(value, false);
  } else if (kind == "uniform") {
    a.kind = arrival_kind::uniform;
    const map_view u(*this, value, uniform_keys, "a map {start, window}");
    set_duration(u, "start", a.start, false);
    const auto window = u.get("window");
    if (!window)
      fail(value, "uniform: needs a 'window' (arrivals spread over [start, start + window])");
    a.window = read_duration(*window, false);
  } else {
    a.kind = arrival_kind::poisson;
    const map_view p(*this, value, poisson_keys, "a map {start, rate}");
    set_duration(p, "start", a.start, false);
    const auto rate = p.get("rate");
    if (!rate) fail(value, "poisson: needs a 'rate' (arrivals per second, e.g. 2/s or 30/min)");
    const auto r = parse_frequency(scalar(*rate, "arrivals per second, e.g. 2/s"));
    if (!r) fail(*rate, fmt::format("rate: {}", r.error));
    if (*r <= 0) fail(*rate, "rate: poisson rate must be greater than 0");
    a.rate = *r;
  }
  return a;
}

after_completion_spec loader::read_after_completion(const located& at) const {
  if (at.node.IsMap()) {
    const map_view m(*this, at, after_completion_keys, "{seed_for: 10min}");
    const auto t = m.get("seed_for");
    if (!t) fail(at, "after_completion: expected stay, leave or {seed_for: 10min}");
    after_completion_spec a{after_completion_kind::seed_for, {}, seed_time_kind::fixed, 0};
    if (!t->node.IsMap()) {
      a.seed_time = read_duration(*t, false);
      return a;
    }
    static constexpr std::array<std::string_view, 3> kinds{"fixed", "exponential", "lognormal"};
    const map_view d(*this, *t, kinds,
                     "a seeding time: 10min, {exponential: 10min} or "
                     "{lognormal: {median: 10min, sigma: 1}}");
    if (d.size() != 1)
      fail(*t,
           "seed_for: give exactly one of T, {fixed: T}, {exponential: MEAN}, "
           "{lognormal: {median: T, sigma: S}}");
    const auto& [kind, value] = d.fields().front();
    if (kind == "fixed") {
      a.seed_time = read_duration(value, false);
    } else if (kind == "exponential") {
      a.distribution = seed_time_kind::exponential;
      a.seed_time = read_duration(value, true);
    } else {
      a.distribution = seed_time_kind::lognormal;
      const map_view l(*this, value, lognormal_keys, "a map {median, sigma}");
      const auto median = l.get("median");
      const auto sigma = l.get("sigma");
      if (!median || !sigma) fail(value, "lognormal: needs 'median' (a duration) and 'sigma'");
      a.seed_time = read_duration(*median, true);
      a.sigma = read_number(*sigma, 0, 20, true);
    }
    return a;
  }
  if (at.node.IsScalar() && at.node.Scalar() == "seed_for")
    fail(at, "after_completion: seed_for needs a time, as in {seed_for: 10min}");
  return {read_enum(at, after_completion_names), {}};
}

abort_spec loader::read_abort(const located& at) const {
  const map_view m(*this, at, abort_keys, "a map {probability, rate}");
  abort_spec a;
  if (const auto p = m.get("probability")) a.probability = read_number(*p, 0, 1, false);
  if (const auto r = m.get("rate")) {
    const auto f = parse_frequency(scalar(*r, "aborts per second, e.g. 1/h"));
    if (!f) fail(*r, fmt::format("rate: {}", f.error));
    a.rate = *f;
  }
  return a;
}

std::vector<bandwidth_class> loader::read_classes(const located& at) const {
  if (!at.node.IsSequence())
    fail(at, fmt::format("classes: expected a list of {{share, upload, download}}, got {}",
                         kind_of(at.node)));
  if (at.node.size() == 0) fail(at, "classes: the list is empty (leave it out instead)");
  std::vector<bandwidth_class> out;
  double sum = 0;
  for (std::size_t i = 0; i < at.node.size(); ++i) {
    const located c{at.node[i], child(at.path, std::to_string(i))};
    const map_view m(*this, c, class_keys, "a class {name, share, upload, download}");
    bandwidth_class b;
    b.name = fmt::format("class{}", i);
    if (const auto v = m.get("name")) b.name = read_string(*v);
    if (b.name.empty()) fail(c, "class: the name must not be empty");
    for (const auto& other : out)
      if (other.name == b.name) fail(c, fmt::format("duplicate class name '{}'", b.name));
    const auto share = m.get("share");
    const auto up = m.get("upload");
    const auto down = m.get("download");
    if (!share || !up || !down) fail(c, "class: needs 'share', 'upload' and 'download'");
    b.share = read_number(*share, 0, 1, true);
    b.upload = read_rate(*up);
    b.download = read_rate(*down);
    sum += b.share;
    out.push_back(std::move(b));
  }
  if (std::abs(sum - 1) > 1e-6)
    fail(at, fmt::format("classes: the shares add up to {}, not 1", sum));
  return out;
}

std::vector<site_share> loader::read_site_shares(const located& at) const {
  if (!at.node.IsMap())
    fail(at, fmt::format("sites: expected a map {{site: share, ...}}, got {}", kind_of(at.node)));
  std::vector<site_share> out;
  double sum = 0;
  for (auto it = at.node.begin(); it != at.node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) fail(key, at.path, "sites: keys must be site names");
    const located v{it->second, child(at.path, key.Scalar())};
    for (const auto& other : out)
      if (other.site == key.Scalar())
        fail(key, v.path, fmt::format("sites: site '{}' is given twice", key.Scalar()));
    out.push_back({key.Scalar(), read_number(v, 0, 1, true)});
    sum += out.back().share;
  }
  if (out.empty()) fail(at, "sites: the map is empty (leave it out instead)");
  if (std::abs(sum - 1) > 1e-6) fail(at, fmt::format("sites: the shares add up to {}, not 1", sum));
  return out;
}

std::optional<double> loader::read_upload_cap(const located& at) const {
  if (at.node.IsNull() || (at.node.IsScalar() && at.node.Scalar() == "none")) return std::nullopt;
  const auto r = parse_rate(scalar(at, "a rate like 64kbit/s, 0 (free-rider) or none"));
  if (!r) fail(at, fmt::format("upload_cap: {}", r.error));
  return *r;
}

void loader::read_picker(const located& at, group_draft& g) const {
  const map_view m(*this, at, picker_keys, "a map of piece picker options");
  auto& p = g.spec.picker;
  if (const auto v = m.get("policy")) p.policy = read_enum(*v, policy_names);
  set(m, "random_first_pieces", p.random_first_pieces);
  set(m, "finish_started_first", p.finish_started_first);
  set(m, "endgame", p.endgame);
  set(m, "max_endgame_duplicates", p.max_endgame_duplicates);
}

void loader::read_choker(const located& at, group_draft& g) const {
  const map_view m(*this, at, choker_keys, "a map of choker options");
  auto& c = g.spec.choker;
  if (const auto v = m.get("upload_slots")) {
    // A whole number, or `auto`: slots scale with the upload capacity (mainline).
    if (v->node.IsScalar() && v->node.Scalar() == "auto") {
      c.slots = protocol::slots_mode::automatic;
    } else {
      c.slots = protocol::slots_mode::fixed;
      c.upload_slots = read_u32(*v, 0);
    }
  }
  set(m, "optimistic_slots", c.optimistic_slots);
  set_duration(m, "rechoke_interval", c.rechoke_interval, true);
  set_duration(m, "optimistic_interval", c.optimistic_interval, true);
  set_duration(m, "snub_timeout", c.snub_timeout, true);
  set_duration(m, "new_peer_window", c.new_peer_window, false);
  set(m, "new_peer_weight", c.new_peer_weight, 1);
  if (const auto v = m.get("seed_mode")) c.seed_mode = read_enum(*v, seed_mode_names);
  if (const auto v = m.get("round_robin_bytes"))
    c.round_robin_bytes =
        static_cast<std::uint32_t>(read_size(*v, std::numeric_limits<std::uint32_t>::max()));
  set_duration(m, "round_robin_min_time", c.round_robin_min_time, false);
  set(m, "super_seeding", c.super_seeding);
  for (std::string_view key : {"upload_slots", "optimistic_slots"})
    if (const auto v = m.get(key)) g.origins.insert_or_assign(fmt::format("choker.{}", key), *v);
}

// Reads the fields of a group (or of the defaults block) over what `g` holds already.
void loader::read_group_fields(const map_view& m, group_draft& g) const {
  group_spec& s = g.spec;
  if (const auto v = m.get("name")) {
    s.name = read_string(*v);
    g.has_name = true;
    g.origins.insert_or_assign("name", *v);
  }
  if (const auto v = m.get("count")) {
    s.count = read_u32(*v);
    g.origins.insert_or_assign("count", *v);
  }
  const auto role = m.get("role");
  const auto content = m.get("content");
  if (role && content) fail(*role, "role: give either 'role' or 'content', not both");
  if (role) s.content = {read_enum(*role, role_names), 0};
  if (content) s.content = read_content(*content);
  if (const auto v = m.get("upload")) s.upload = read_rate(*v);
  if (const auto v = m.get("download")) s.download = read_rate(*v);
  if (const auto v = m.get("site")) {
    if (m.get("sites")) fail(*v, "site: give either 'site' or 'sites', not both");
    s.site = scalar(*v, "a site name");
    s.sites.clear();
    g.origins.insert_or_assign("site", *v);
  }
  if (const auto v = m.get("arrival")) s.arrival = read_arrival(*v);
  if (const auto v = m.get("after_completion")) s.after_completion = read_after_completion(*v);
  if (const auto v = m.get("leave_at")) {
    if (v->node.IsNull() || (v->node.IsScalar() && v->node.Scalar() == "never"))
      s.leave_at.reset();
    else
      s.leave_at = read_duration(*v, false);
  }
  if (const auto v = m.get("abort")) s.abort = read_abort(*v);
  if (const auto v = m.get("classes"))
    s.classes = v->node.IsNull() ? std::vector<bandwidth_class>{} : read_classes(*v);
  if (const auto v = m.get("sites")) {
    s.sites = v->node.IsNull() ? std::vector<site_share>{} : read_site_shares(*v);
    g.origins.insert_or_assign("sites", *v);
    g.origins.erase("site");
  }
  if (const auto v = m.get("upload_cap")) s.upload_cap = read_upload_cap(*v);
  if (const auto v = m.get("picker")) read_picker(*v, g);
  if (const auto v = m.get("choker")) read_choker(*v, g);
  set(m, "pipeline_depth", s.pipeline_depth, 1);
  set(m, "max_connections", s.max_connections, 1, protocol::peer_options::max_connections_limit);
  set(m, "max_initiate", s.max_initiate);
  set(m, "min_peers", s.min_peers);
  set_duration(m, "inactivity_timeout", s.inactivity_timeout, false);
  set_duration(m, "reconnect_delay", s.reconnect_delay, false);
}

std::vector<group_draft> loader::read_groups(const map_view& top) const {
  group_draft base;
  base.spec.site.clear();  // no site given yet; resolved in check_sites
  if (const auto defaults = top.get("defaults")) {
    const map_view m(*this, *defaults, group_keys, "a map of group fields");
    if (const auto name = m.get("name"))
      fail(*name, "name: a group name cannot have a default (names must be unique)");
    read_group_fields(m, base);
  }
  const auto groups = top.get("groups");
  if (!groups) fail(YAML::Node{}, {}, "no groups: add a 'groups:' list");
  if (!groups->node.IsSequence() && !groups->node.IsNull())
    fail(*groups, fmt::format("groups: expected a list of groups, got {}", kind_of(groups->node)));
  if (groups->node.size() == 0) fail(*groups, "no groups: the 'groups:' list is empty");

  std::vector<group_draft> out;
  std::uint64_t total = 0;  // peers in the groups so far
  for (std::size_t i = 0; i < groups->node.size(); ++i) {
    group_draft g = base;
    g.where = located{groups->node[i], child(groups->path, std::to_string(i))};
    const map_view m(*this, g.where, group_keys, "a group (a map with a name)");
    read_group_fields(m, g);
    if (!g.has_name) fail(g.where, "group: needs a 'name'");
    const located& name_at = g.origins.at("name");
    if (g.spec.name.empty()) fail(name_at, "name: a group name must not be empty");
    if (all_digits(g.spec.name))
      fail(name_at, fmt::format("name: '{}' looks like an index; give the group a name with a "
                                "letter (overrides address groups by name or index)",
                                g.spec.name));
    for (const auto& other : out)
      if (other.spec.name == g.spec.name)
        fail(name_at, fmt::format("duplicate group name '{}'", g.spec.name));
    const auto& c = g.spec.choker;
    if (c.slots == protocol::slots_mode::fixed && c.optimistic_slots > c.upload_slots) {
      const auto it = g.origins.contains("choker.optimistic_slots")
                          ? g.origins.find("choker.optimistic_slots")
                          : g.origins.find("choker.upload_slots");
      fail(it == g.origins.end() ? g.where : it->second,
           fmt::format("choker: optimistic_slots ({}) exceeds upload_slots ({}) in group '{}'",
                       c.optimistic_slots, c.upload_slots, g.spec.name));
    }
    total += g.spec.count;
    if (total > max_peers) {
      const auto count = g.origins.find("count");
      fail(count == g.origins.end() ? g.where : count->second,
           fmt::format("count: group '{}' brings the swarm to {} peers; swarmsim simulates at "
                       "most {} in all",
                       g.spec.name, total, max_peers));
    }
    out.push_back(std::move(g));
  }

  const bool someone_has_everything = std::any_of(out.begin(), out.end(), [](const auto& g) {
    return g.spec.count > 0 && (g.spec.content.kind == content_kind::all ||
                                g.spec.content.kind == content_kind::partition);
  });
  if (!someone_has_everything) {
    constexpr std::string_view message = "no peer holds every piece at the start; add a seed group";
    // An override that changed who holds what is the likely cause: name it.
    const auto holding = [](std::string_view field) {
      return field == "count" || field == "role" || field == "content";
    };
    for (auto o = overrides_.rbegin(); o != overrides_.rend(); ++o) {
      const path_t& p = o->path;
      const bool in_groups = p[0] == "groups" && (p.size() <= 2 || holding(p[2]));
      const bool in_defaults = p[0] == "defaults" && (p.size() == 1 || holding(p[1]));
      if (in_groups || in_defaults)
        throw scenario_error(fmt::format("--set {}: {}", o->text, message));
    }
    fail(*groups, message);
  }
  return out;
}

void loader::check_sites(std::vector<group_draft>& groups, const network_spec& net) const {
  std::vector<std::string_view> site_names;
  for (const auto& s : net.sites)
    site_names.push_back(s.name);
  const auto known = [&](std::string_view n) {
    return std::find(site_names.begin(), site_names.end(), n) != site_names.end();
  };
  for (auto& g : groups) {
    if (!g.spec.sites.empty()) {
      const located& at = g.origins.at("sites");
      for (const auto& share : g.spec.sites)
        if (!known(share.site))
          fail(at, fmt::format("sites: unknown site '{}'{}", share.site,
                               did_you_mean(share.site, site_names)));
      g.spec.site = g.spec.sites.front().site;
      continue;
    }
    const auto origin = g.origins.find("site");
    if (origin == g.origins.end()) {
      if (known(group_spec{}.site))
        g.spec.site = group_spec{}.site;
      else if (site_names.size() == 1)
        g.spec.site = site_names.front();
      else
        fail(g.where, fmt::format("group '{}' needs a 'site' (the network has {})", g.spec.name,
                                  fmt::join(site_names, ", ")));
    } else if (!known(g.spec.site)) {
      fail(origin->second, fmt::format("site: unknown site '{}'{}", g.spec.site,
                                       did_you_mean(g.spec.site, site_names)));
    }
  }
}

scenario loader::read(const YAML::Node& root) const {
  const located top_at{root, {}};
  if (!root.IsDefined() || root.IsNull())
    fail(YAML::Node{}, {},
         "the scenario is empty: it needs at least a 'groups:' list with a seed "
         "(see scenarios/README.md)");
  if (root.IsDefined() && !root.IsNull() && !root.IsMap())
    fail(top_at, fmt::format("expected a map of scenario fields, got {}", kind_of(root)));
  const map_view top(*this, top_at, top_keys, "a map of scenario fields");
  scenario s;
  if (const auto v = top.get("name")) {
    s.name = read_string(*v);
    if (!usable_as_directory_name(s.name))
      fail(*v, fmt::format("name: '{}' cannot name a directory (the results go to results/<name> "
                           "by default): give a name without '/', '\\' or control characters, "
                           "other than '.' and '..'",
                           s.name));
  }
  if (const auto v = top.get("description"))
    s.description = v->node.IsNull() ? std::string{} : read_string(*v);
  if (const auto v = top.get("torrent")) s.torrent = read_torrent(*v);
  if (const auto v = top.get("tracker")) s.tracker = read_tracker(*v);
  if (const auto v = top.get("network")) s.network = read_network(*v);
  if (const auto v = top.get("simulation")) s.simulation = read_simulation(*v);
  auto groups = read_groups(top);
  check_sites(groups, s.network);
  for (auto& g : groups)
    s.groups.push_back(std::move(g.spec));
  return s;
}

// ---- overrides -------------------------------------------------------------------

std::string_view singular(std::string_view list) {
  if (list == "groups") return "group";
  if (list == "sites") return "site";
  if (list == "links") return "link";
  return "element";
}

// Applies "key.path=value" to the tree; returns the path it resolved to.
override_record apply_override(YAML::Node& root, const std::string& text) {
  const auto error = [&](std::string_view msg) {
    return scenario_error(fmt::format("--set {}: {}", text, msg));
  };
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw error("expected key.path=value");
  std::vector<std::string> components;
  for (std::size_t start = 0;;) {
    const auto dot = text.find('.', start);
    const auto end = dot == std::string::npos || dot > eq ? eq : dot;
    components.push_back(text.substr(start, end - start));
    if (components.back().empty()) throw error("empty name in the key path");
    if (end == eq) break;
    start = end + 1;
  }
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    throw error(fmt::format("bad value: {}", e.msg));
  }

  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  YAML::Node cur = root;
  override_record record{text, {}};
  for (std::size_t i = 0; i < components.size(); ++i) {
    const std::string& c = components[i];
    const bool last = i + 1 == components.size();
    const std::string_view list = record.path.empty() ? "" : std::string_view(record.path.back());
    if (cur.IsSequence()) {
      std::size_t index = cur.size();
      if (all_digits(c)) {
        const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), index);
        if (ec != std::errc{} || index >= cur.size())
          throw error(
              fmt::format("no {} at index {} (there are {})", singular(list), c, cur.size()));
      } else {
        for (std::size_t j = 0; j < cur.size() && index == cur.size(); ++j) {
          const YAML::Node element = cur[j];
          const YAML::Node& e = element;
          const YAML::Node name = e.IsMap() ? e["name"] : e;
          if (name.IsDefined() && name.IsScalar() && name.Scalar() == c) index = j;
        }
        if (index == cur.size()) throw error(fmt::format("no {} named '{}'", singular(list), c));
      }
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

// ---- saving ----------------------------------------------------------------------

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

template <typename T>
void put_value(YAML::Emitter& out, std::string_view key, const T& value) {
  out << YAML::Key << std::string(key) << YAML::Value << value;
}

void put_group(YAML::Emitter& out, const group_spec& g) {
  out << YAML::BeginMap;
  put(out, "name", g.name);
  put_value(out, "count", g.count);
  out << YAML::Key << "content" << YAML::Value;
  if (g.content.kind == content_kind::fraction)
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "fraction" << YAML::Value
        << fmt::format("{}", g.content.fraction) << YAML::EndMap;
  else
    out << std::string(name_of(content_names, g.content.kind));
  put(out, "upload", format_rate(g.upload));
  put(out, "download", format_rate(g.download));
  if (g.sites.empty()) {
    put(out, "site", g.site);
  } else {
    out << YAML::Key << "sites" << YAML::Value << YAML::Flow << YAML::BeginMap;
    for (const auto& x : g.sites) {
      out << YAML::Key;
      put_string(out, x.site);
      out << YAML::Value << fmt::format("{}", x.share);
    }
    out << YAML::EndMap;
  }
  if (!g.classes.empty()) {
    out << YAML::Key << "classes" << YAML::Value << YAML::BeginSeq;
    for (const auto& c : g.classes) {
      out << YAML::Flow << YAML::BeginMap;
      put(out, "name", c.name);
      put_value(out, "share", fmt::format("{}", c.share));
      put(out, "upload", format_rate(c.upload));
      put(out, "download", format_rate(c.download));
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  put(out, "upload_cap", g.upload_cap ? format_rate(*g.upload_cap) : "none");
  out << YAML::Key << "arrival" << YAML::Value << YAML::Flow << YAML::BeginMap;
  switch (g.arrival.kind) {
    case arrival_kind::at:
      put(out, "at", format_duration(g.arrival.start));
      break;
    case arrival_kind::uniform:
      out << YAML::Key << "uniform" << YAML::Value << YAML::BeginMap;
      put(out, "start", format_duration(g.arrival.start));
      put(out, "window", format_duration(g.arrival.window));
      out << YAML::EndMap;
      break;
    case arrival_kind::poisson:
      out << YAML::Key << "poisson" << YAML::Value << YAML::BeginMap;
      put(out, "start", format_duration(g.arrival.start));
      put(out, "rate", format_frequency(g.arrival.rate));
      out << YAML::EndMap;
      break;
  }
  out << YAML::EndMap;
  out << YAML::Key << "after_completion" << YAML::Value;
  const auto& ac = g.after_completion;
  if (ac.kind == after_completion_kind::seed_for) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "seed_for" << YAML::Value;
    switch (ac.distribution) {
      case seed_time_kind::fixed:
        out << format_duration(ac.seed_time);
        break;
      case seed_time_kind::exponential:
        out << YAML::BeginMap;
        put(out, "exponential", format_duration(ac.seed_time));
        out << YAML::EndMap;
        break;
      case seed_time_kind::lognormal:
        out << YAML::BeginMap << YAML::Key << "lognormal" << YAML::Value << YAML::BeginMap;
        put(out, "median", format_duration(ac.seed_time));
        put_value(out, "sigma", fmt::format("{}", ac.sigma));
        out << YAML::EndMap << YAML::EndMap;
        break;
    }
    out << YAML::EndMap;
  } else {
    out << std::string(name_of(after_completion_names, ac.kind));
  }
  put(out, "leave_at", g.leave_at ? format_duration(*g.leave_at) : "never");
  out << YAML::Key << "abort" << YAML::Value << YAML::Flow << YAML::BeginMap;
  put_value(out, "probability", fmt::format("{}", g.abort.probability));
  put(out, "rate", format_frequency(g.abort.rate));
  out << YAML::EndMap;

  const auto& p = g.picker;
  out << YAML::Key << "picker" << YAML::Value << YAML::BeginMap;
  put(out, "policy", std::string(name_of(policy_names, p.policy)));
  put_value(out, "random_first_pieces", p.random_first_pieces);
  put_value(out, "finish_started_first", p.finish_started_first);
  put_value(out, "endgame", p.endgame);
  put_value(out, "max_endgame_duplicates", p.max_endgame_duplicates);
  out << YAML::EndMap;

  const auto& c = g.choker;
  out << YAML::Key << "choker" << YAML::Value << YAML::BeginMap;
  if (c.slots == protocol::slots_mode::automatic)
    put(out, "upload_slots", std::string("auto"));
  else
    put_value(out, "upload_slots", c.upload_slots);
  put_value(out, "optimistic_slots", c.optimistic_slots);
  put(out, "rechoke_interval", format_duration(c.rechoke_interval));
  put(out, "optimistic_interval", format_duration(c.optimistic_interval));
  put(out, "snub_timeout", format_duration(c.snub_timeout));
  put(out, "new_peer_window", format_duration(c.new_peer_window));
  put_value(out, "new_peer_weight", c.new_peer_weight);
  put(out, "seed_mode", std::string(name_of(seed_mode_names, c.seed_mode)));
  put(out, "round_robin_bytes", format_size(c.round_robin_bytes));
  put(out, "round_robin_min_time", format_duration(c.round_robin_min_time));
  put_value(out, "super_seeding", c.super_seeding);
  out << YAML::EndMap;

  put_value(out, "pipeline_depth", g.pipeline_depth);
  put_value(out, "max_connections", g.max_connections);
  put_value(out, "max_initiate", g.max_initiate);
  put_value(out, "min_peers", g.min_peers);
  put(out, "inactivity_timeout", format_duration(g.inactivity_timeout));
  put(out, "reconnect_delay", format_duration(g.reconnect_delay));
  out << YAML::EndMap;
}

}  // namespace

namespace {

// A YAML syntax error as "file:line:column: message": control characters in
// yaml-cpp's message (it quotes the offending byte) escaped, and a hint when a
// tab indents the line.
std::string syntax_error(std::string_view source, std::string_view text, const YAML::Exception& e) {
  std::string message;
  for (const char c : e.msg) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      message += fmt::format("\\x{:02x}", static_cast<unsigned>(byte));
    else
      message += c;
  }
  if (!e.mark.is_null()) {
    std::string_view line = text;
    for (int i = 0; i < e.mark.line && !line.empty(); ++i) {
      const auto newline = line.find('\n');
      line = newline == std::string_view::npos ? std::string_view{} : line.substr(newline + 1);
    }
    const auto indent = line.substr(0, line.find_first_not_of(" \t"));
    if (indent.find('\t') != std::string_view::npos)
      message += " (a tab indents this line; YAML indents with spaces only)";
  }
  return fmt::format("{}: {}", location(source, e.mark), message);
}

}  // namespace

scenario parse_scenario(const std::string& yaml_text, const std::string& source_name,
                        const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw scenario_error(syntax_error(source_name, yaml_text, e));
  }
  std::vector<override_record> applied;
  for (const auto& o : overrides)
    applied.push_back(apply_override(root, o));
  try {
    return loader(source_name, std::move(applied)).read(root);
  } catch (const YAML::Exception& e) {  // a tree yaml-cpp itself refuses to walk
    throw scenario_error(fmt::format("{}: {}", location(source_name, e.mark), e.msg));
  }
}

scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw scenario_error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text;
  char buffer[1 << 14];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
    text.append(buffer, n);
  const bool failed = std::ferror(f) != 0;
  const int error = errno;
  std::fclose(f);
  if (failed) throw scenario_error(fmt::format("{}: cannot open: {}", path, std::strerror(error)));
  return parse_scenario(text, path, overrides);
}

std::string save_scenario(const scenario& s) {
  YAML::Emitter out;
  out << YAML::Comment("swarmsim scenario, resolved: every field written out");
  out << YAML::Newline << YAML::BeginMap;
  put(out, "name", s.name);
  put(out, "description", s.description);

  out << YAML::Key << "torrent" << YAML::Value << YAML::BeginMap;
  put(out, "size", format_size(s.torrent.size));
  put(out, "piece_size", format_size(s.torrent.piece_size));
  put(out, "block_size", format_size(s.torrent.block_size));
  out << YAML::EndMap;

  const auto& t = s.tracker;
  out << YAML::Key << "tracker" << YAML::Value << YAML::BeginMap;
  put_value(out, "numwant", t.numwant);
  put(out, "announce_interval", format_duration(t.announce_interval));
  put(out, "min_interval", format_duration(t.min_interval));
  put(out, "expire_after", format_duration(t.expire_after));
  put(out, "latency", format_duration(t.latency));
  out << YAML::EndMap;

  out << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "sites" << YAML::Value << YAML::BeginSeq;
  for (const auto& site : s.network.sites)
    put_string(out, site.name);
  out << YAML::EndSeq;
  out << YAML::Key << "links" << YAML::Value;
  if (s.network.links.empty()) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const auto& l : s.network.links) {
    out << YAML::Flow << YAML::BeginMap;
    put(out, "a", l.a);
    put(out, "b", l.b);
    put(out, "latency", format_duration(l.latency));
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  put(out, "local_latency", format_duration(s.network.local_latency));
  out << YAML::EndMap;

  out << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq;
  for (const auto& g : s.groups)
    put_group(out, g);
  out << YAML::EndSeq;

  const auto& sim = s.simulation;
  out << YAML::Key << "simulation" << YAML::Value << YAML::BeginMap;
  put_value(out, "seed", sim.seed);
  put(out, "stop", std::string(name_of(stop_names, sim.stop)));
  put(out, "time_limit", format_duration(sim.time_limit));
  put(out, "sample_interval", format_duration(sim.sample_interval));
  put(out, "overlay_interval",
      sim.overlay_interval ? format_duration(*sim.overlay_interval) : "off");
  out << YAML::Key << "trace" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const trace_kind k : sim.trace)
    out << std::string(name_of(trace_names, k));
  out << YAML::EndSeq;
  out << YAML::EndMap;

  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

protocol::peer_options peer_options_of(const group_spec& g, const tracker_spec& t,
                                       protocol::peer_options o) {
  o.picker = g.picker;
  o.choker = g.choker;
  if (g.upload_cap && *g.upload_cap <= 0) {
    o.choker.upload_slots = 0;  // a free-rider unchokes nobody
    o.choker.optimistic_slots = 0;
    o.choker.slots = protocol::slots_mode::fixed;
  }
  o.pipeline_depth = g.pipeline_depth;
  o.max_connections = g.max_connections;
  o.max_initiate = g.max_initiate;
  o.min_peers = g.min_peers;
  o.inactivity_timeout = g.inactivity_timeout;
  o.reconnect_delay = g.reconnect_delay;
  o.announce_interval = t.announce_interval;
  return o;
}

}  // namespace swarmsim::sim
