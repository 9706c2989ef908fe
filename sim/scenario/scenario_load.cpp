// YAML -> scenario: the values checked one by one (loader), the checks that
// span fields, and errors located as FILE:LINE:COLUMN in the file or naming the
// override that made the value.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "protocol/torrent_geometry.hpp"
#include "sim/scenario/scenario_yaml.hpp"

namespace swarmsim::sim {

namespace scenario_yaml {

bool starts_with(const path_t& p, const path_t& prefix) {
  return p.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), p.begin());
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string location(std::string_view source, const YAML::Mark& mark) {
  if (mark.is_null()) return fmt::format("{}:1:1", source);
  return fmt::format("{}:{}:{}", source, mark.line + 1, mark.column + 1);
}

namespace {

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

}  // namespace

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

map_view::map_view(const loader& l, const located& at, keys_t known, std::string_view expected) {
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

std::optional<located> map_view::get(std::string_view key) const {
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
  if (auto why = check_rate_floor(*r)) fail(v, fmt::format("{}: {}", v.key(), *why));
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

double loader::read_frequency(const located& v, std::string_view expected) const {
  const auto f = parse_frequency(scalar(v, expected));
  if (!f) fail(v, fmt::format("{}: {}", v.key(), f.error));
  return *f;
}

bool loader::overridden(const located& v) const {
  return std::any_of(overrides_.begin(), overrides_.end(),
                     [&](const override_record& o) { return starts_with(v.path, o.path); });
}

// ---- the checks that span fields ----------------------------------------------------

void check_torrent(const loader& l, const located& at, const map_view& m, const torrent_spec& t) {
  const auto error = protocol::torrent_geometry::validate(t.size, t.piece_size, t.block_size);
  if (!error) return;
  const auto size = m.get("size");
  const auto piece = m.get("piece_size");
  const auto block = m.get("block_size");
  // Blame the field the text is about, else piece_size, else whichever was given.
  std::optional<located> blame = error->starts_with("block size")     ? block
                                 : error->starts_with("torrent size") ? size
                                                                      : piece;
  for (const auto& field : {piece, block, size})
    if (field && l.overridden(*field)) blame = field;
  if (!blame) blame = piece ? piece : block ? block : size;
  if (!blame) blame = at;
  l.fail(*blame, fmt::format("{}: {}", blame->key(), *error));
}

std::vector<link_spec> read_links(const loader& l, const located& at, const network_spec& net) {
  if (!at.node.IsSequence() && !at.node.IsNull())
    l.fail(at, fmt::format("links: expected a list of links, got {}", kind_of(at.node)));
  static constexpr std::array<std::string_view, 3> link_keys{"a", "b", "latency"};
  std::vector<std::string_view> site_names;
  for (const auto& s : net.sites)
    site_names.push_back(s.name);
  std::vector<link_spec> out;
  for (std::size_t i = 0; i < at.node.size(); ++i) {
    const located v{at.node[i], child(at.path, std::to_string(i))};
    const map_view m(l, v, link_keys, "a link {a, b, latency}");
    link_spec link;
    for (auto [key, end_name] : {std::pair{"a", &link.a}, std::pair{"b", &link.b}}) {
      const auto end = m.get(key);
      if (!end) l.fail(v, fmt::format("link: needs '{}' (a site name)", key));
      *end_name = l.scalar(*end, "a site name");
      if (std::find(site_names.begin(), site_names.end(), *end_name) == site_names.end())
        l.fail(*end, fmt::format("{}: unknown site '{}'{}", key, *end_name,
                                 did_you_mean(*end_name, site_names)));
    }
    if (link.a == link.b) l.fail(v, fmt::format("link: joins site '{}' to itself", link.a));
    const auto latency = m.get("latency");
    if (!latency) l.fail(v, "link: needs a 'latency'");
    link.latency = l.read_duration(*latency, false);
    for (const auto& other : out)
      if ((other.a == link.a && other.b == link.b) || (other.a == link.b && other.b == link.a))
        l.fail(v, fmt::format("duplicate link between '{}' and '{}'", link.a, link.b));
    out.push_back(std::move(link));
  }
  return out;
}

void check_routes(const loader& l, const map_view& m, const network_spec& net) {
  std::set<std::string> reached{net.sites.front().name};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& link : net.links)
      if (reached.contains(link.a) != reached.contains(link.b)) {
        reached.insert(reached.contains(link.a) ? link.b : link.a);
        grew = true;
      }
  }
  for (std::size_t i = 0; i < net.sites.size(); ++i) {
    if (reached.contains(net.sites[i].name)) continue;
    // More than one site: the file lists them; blame where this one is named.
    const located sites = *m.get("sites");
    located at{sites.node[i], child(sites.path, std::to_string(i))};
    if (at.node.IsMap()) at = located{at.node["name"], child(at.path, "name")};
    l.fail(at, fmt::format("site '{}' has no route to site '{}'; add a link", net.sites[i].name,
                           net.sites.front().name));
  }
}

namespace {

// Reads the fields `m` holds over what `g` holds already, noting where each was given.
void read_group_fields(const loader& l, const map_view& m, group_draft& g) {
  const reading r{l, m};
  for (const auto& f : group_fields())
    if (const auto v = m.get(f.key)) {
      f.read(r, *v, g);
      g.origins.insert_or_assign(std::string(f.key), *v);
    }
}

// Reads group `index` of the list `at` over `base` (the defaults), and checks
// what concerns it alone; `total` counts the peers so far.
group_draft read_group(const loader& l, const located& at, std::size_t index,
                       const group_draft& base, const std::vector<group_draft>& before,
                       std::uint64_t& total) {
  group_draft g = base;
  g.where = located{at.node[index], child(at.path, std::to_string(index))};
  const auto keys = keys_of(group_fields());
  const map_view m(l, g.where, keys, "a group (a map with a name)");
  read_group_fields(l, m, g);
  const auto name = g.origins.find("name");
  if (name == g.origins.end()) l.fail(g.where, "group: needs a 'name'");
  const located& name_at = name->second;
  if (g.spec.name.empty()) l.fail(name_at, "name: a group name must not be empty");
  if (all_digits(g.spec.name))
    l.fail(name_at, fmt::format("name: '{}' looks like an index; give the group a name with a "
                                "letter (overrides address groups by name or index)",
                                g.spec.name));
  for (const auto& other : before)
    if (other.spec.name == g.spec.name)
      l.fail(name_at, fmt::format("duplicate group name '{}'", g.spec.name));
  const auto& c = g.spec.peer.choker;
  if (c.slots == protocol::slots_mode::fixed && c.optimistic_slots > c.upload_slots) {
    const auto it = g.origins.contains("choker.optimistic_slots")
                        ? g.origins.find("choker.optimistic_slots")
                        : g.origins.find("choker.upload_slots");
    l.fail(it == g.origins.end() ? g.where : it->second,
           fmt::format("choker: optimistic_slots ({}) exceeds upload_slots ({}) in group '{}'",
                       c.optimistic_slots, c.upload_slots, g.spec.name));
  }
  total += g.spec.count;
  if (total > max_peers) {
    const auto count = g.origins.find("count");
    l.fail(count == g.origins.end() ? g.where : count->second,
           fmt::format("count: group '{}' brings the swarm to {} peers; swarmsim simulates at "
                       "most {} in all",
                       g.spec.name, total, max_peers));
  }
  return g;
}

// Some group holds every piece at the start (a seed or a partition).
void check_someone_holds_everything(const loader& l, const located& groups,
                                    const std::vector<group_draft>& drafts) {
  const bool someone_has_everything = std::any_of(drafts.begin(), drafts.end(), [](const auto& g) {
    return g.spec.count > 0 && (g.spec.content.kind == content_kind::all ||
                                g.spec.content.kind == content_kind::partition);
  });
  if (someone_has_everything) return;
  constexpr std::string_view message = "no peer holds every piece at the start; add a seed group";
  // An override that changed who holds what is the likely cause: name it.
  const auto holding = [](std::string_view field) {
    return field == "count" || field == "role" || field == "content";
  };
  for (auto o = l.overrides().rbegin(); o != l.overrides().rend(); ++o) {
    const path_t& p = o->path;
    const bool in_groups = p[0] == "groups" && (p.size() <= 2 || holding(p[2]));
    const bool in_defaults = p[0] == "defaults" && (p.size() == 1 || holding(p[1]));
    if (in_groups || in_defaults)
      throw scenario_error(fmt::format("--set {}: {}", o->text, message));
  }
  l.fail(groups, message);
}

// Resolves each group's site: given, the first of its `sites`, or the only (or
// default) site of the network.
void check_sites(const loader& l, std::vector<group_draft>& groups, const network_spec& net) {
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
          l.fail(at, fmt::format("sites: unknown site '{}'{}", share.site,
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
        l.fail(g.where, fmt::format("group '{}' needs a 'site' (the network has {})", g.spec.name,
                                    fmt::join(site_names, ", ")));
    } else if (!known(g.spec.site)) {
      l.fail(origin->second, fmt::format("site: unknown site '{}'{}", g.spec.site,
                                         did_you_mean(g.spec.site, site_names)));
    }
  }
}

}  // namespace

std::vector<group_spec> read_groups(const loader& l, const map_view& top, const network_spec& net) {
  group_draft base;
  base.spec.site.clear();  // no site given yet; resolved in check_sites
  if (const auto defaults = top.get("defaults")) {
    const auto keys = keys_of(group_fields());
    const map_view m(l, *defaults, keys, "a map of group fields");
    if (const auto name = m.get("name"))
      l.fail(*name, "name: a group name cannot have a default (names must be unique)");
    read_group_fields(l, m, base);
  }
  const auto groups = top.get("groups");
  if (!groups) l.fail(YAML::Node{}, {}, "no groups: add a 'groups:' list");
  if (!groups->node.IsSequence() && !groups->node.IsNull())
    l.fail(*groups,
           fmt::format("groups: expected a list of groups, got {}", kind_of(groups->node)));
  if (groups->node.size() == 0) l.fail(*groups, "no groups: the 'groups:' list is empty");

  std::vector<group_draft> drafts;
  std::uint64_t total = 0;  // peers in the groups so far
  for (std::size_t i = 0; i < groups->node.size(); ++i)
    drafts.push_back(read_group(l, *groups, i, base, drafts, total));
  check_someone_holds_everything(l, *groups, drafts);
  check_sites(l, drafts, net);
  std::vector<group_spec> out;
  for (auto& g : drafts)
    out.push_back(std::move(g.spec));
  return out;
}

scenario loader::read(const YAML::Node& root) const {
  const located top_at{root, {}};
  if (!root.IsDefined() || root.IsNull())
    fail(YAML::Node{}, {},
         "the scenario is empty: it needs at least a 'groups:' list with a seed "
         "(see scenarios/README.md)");
  if (!root.IsMap())
    fail(top_at, fmt::format("expected a map of scenario fields, got {}", kind_of(root)));
  const auto keys = keys_of(scenario_fields());
  const map_view top(*this, top_at, keys, "a map of scenario fields");
  scenario s;
  read_fields(*this, top, scenario_fields(), s);
  if (!top.get("groups")) read_groups(*this, top, s.network);  // says what is missing
  return s;
}

}  // namespace scenario_yaml

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
  return fmt::format("{}: {}", scenario_yaml::location(source, e.mark), message);
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
  std::vector<scenario_yaml::override_record> applied;
  for (const auto& o : overrides)
    applied.push_back(scenario_yaml::apply_override(root, o));
  try {
    return scenario_yaml::loader(source_name, std::move(applied)).read(root);
  } catch (const YAML::Exception& e) {  // a tree yaml-cpp itself refuses to walk
    throw scenario_error(
        fmt::format("{}: {}", scenario_yaml::location(source_name, e.mark), e.msg));
  }
}

scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw scenario_error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::string text;
  char buffer[1 << 14];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) {
    text.append(buffer, n);
    if (text.size() > max_scenario_file_size) {  // e.g. /dev/zero: never ends
      std::fclose(f);
      throw scenario_error(fmt::format("{}: more than {} bytes; a scenario file is at most that",
                                       path, max_scenario_file_size));
    }
  }
  const bool failed = std::ferror(f) != 0;
  const int error = errno;
  std::fclose(f);
  if (failed) throw scenario_error(fmt::format("{}: cannot open: {}", path, std::strerror(error)));
  return parse_scenario(text, path, overrides);
}

}  // namespace swarmsim::sim
