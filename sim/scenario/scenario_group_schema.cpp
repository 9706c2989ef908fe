// The fields of a group (and of the `defaults` block), one table entry per key
// with how it is read and how it is written (see scenario_yaml.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "sim/scenario/scenario_yaml.hpp"
#include "sim/scenario/strategy_schema.hpp"

namespace swarmsim::sim::scenario_yaml {

namespace {

using group_field = field<group_draft, group_spec>;

// ---- content -------------------------------------------------------------------

constexpr std::array<std::string_view, 1> content_keys{"fraction"};

content_spec read_content(const loader& l, const located& at) {
  if (at.node.IsMap()) {
    const map_view m(l, at, content_keys, "a content");
    const auto f = m.get("fraction");
    if (!f) l.fail(at, "content: expected {fraction: 0.3}");
    const std::string text = l.scalar(*f, "a number between 0 and 1");
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
      l.fail(*f, fmt::format("fraction: expected a number between 0 and 1, got '{}'", text));
    if (!(value >= 0 && value <= 1))
      l.fail(*f, fmt::format("fraction: {} is outside [0, 1]", text));
    return {content_kind::fraction, value};
  }
  if (at.node.IsScalar() && at.node.Scalar() == "fraction")
    l.fail(at, "content: a fraction needs a value, as in {fraction: 0.3}");
  return {l.read_enum(at, content_names), 0};
}

void write_content(YAML::Emitter& out, std::string_view key, const group_spec& g) {
  out << YAML::Key << std::string(key) << YAML::Value;
  if (g.content.kind == content_kind::fraction)
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "fraction" << YAML::Value
        << fmt::format("{}", g.content.fraction) << YAML::EndMap;
  else
    out << name_of(content_names, g.content.kind);
}

// ---- sites and classes ---------------------------------------------------------------

std::vector<site_share> read_site_shares(const loader& l, const located& at) {
  if (!at.node.IsMap())
    l.fail(at, fmt::format("sites: expected a map {{site: share, ...}}, got {}", kind_of(at.node)));
  std::vector<site_share> out;
  double sum = 0;
  for (auto it = at.node.begin(); it != at.node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) l.fail(key, at.path, "sites: keys must be site names");
    const located v{it->second, child(at.path, key.Scalar())};
    for (const auto& other : out)
      if (other.site == key.Scalar())
        l.fail(key, v.path, fmt::format("sites: site '{}' is given twice", key.Scalar()));
    out.push_back({key.Scalar(), l.read_number(v, 0, 1, true)});
    sum += out.back().share;
  }
  if (out.empty()) l.fail(at, "sites: the map is empty (leave it out instead)");
  if (std::abs(sum - 1) > 1e-6)
    l.fail(at, fmt::format("sites: the shares add up to {}, not 1", sum));
  return out;
}

void write_site_shares(YAML::Emitter& out, std::string_view key, const group_spec& g) {
  if (g.sites.empty()) return;  // `site` instead
  out << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (const auto& x : g.sites) {
    out << YAML::Key;
    put_string(out, x.site);
    out << YAML::Value << fmt::format("{}", x.share);
  }
  out << YAML::EndMap;
}

// A share in (0, 1], written as the shortest text that reads back the same.
struct share {
  static double read(const loader& l, const located& v) { return l.read_number(v, 0, 1, true); }
  static void write(YAML::Emitter& out, double x) { out << fmt::format("{}", x); }
};

constexpr std::array<field<bandwidth_class>, 4> class_table{{
    plain<text, &bandwidth_class::name>("name"),
    plain<share, &bandwidth_class::share>("share"),
    plain<rate, &bandwidth_class::upload>("upload"),
    plain<rate, &bandwidth_class::download>("download"),
}};

std::vector<bandwidth_class> read_classes(const loader& l, const located& at) {
  if (!at.node.IsSequence())
    l.fail(at, fmt::format("classes: expected a list of {{share, upload, download}}, got {}",
                           kind_of(at.node)));
  if (at.node.size() == 0) l.fail(at, "classes: the list is empty (leave it out instead)");
  std::vector<bandwidth_class> out;
  double sum = 0;
  for (std::size_t i = 0; i < at.node.size(); ++i) {
    const located c{at.node[i], child(at.path, std::to_string(i))};
    const auto keys = keys_of(class_table);
    const map_view m(l, c, keys, "a class {name, share, upload, download}");
    if (!m.get("share") || !m.get("upload") || !m.get("download"))
      l.fail(c, "class: needs 'share', 'upload' and 'download'");
    bandwidth_class b;
    b.name = fmt::format("class{}", i);
    read_fields(l, m, class_table, b);
    if (b.name.empty()) l.fail(c, "class: the name must not be empty");
    for (const auto& other : out)
      if (other.name == b.name) l.fail(c, fmt::format("duplicate class name '{}'", b.name));
    sum += b.share;
    out.push_back(std::move(b));
  }
  if (std::abs(sum - 1) > 1e-6)
    l.fail(at, fmt::format("classes: the shares add up to {}, not 1", sum));
  return out;
}

void write_classes(YAML::Emitter& out, std::string_view key, const group_spec& g) {
  if (g.classes.empty()) return;
  out << YAML::Key << std::string(key) << YAML::Value << YAML::BeginSeq;
  for (const auto& c : g.classes) {
    out << YAML::Flow << YAML::BeginMap;
    write_fields(out, class_table, c);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

// ---- arrival -----------------------------------------------------------------------

constexpr std::array<std::string_view, 3> arrival_keys{"at", "uniform", "poisson"};
constexpr std::array<std::string_view, 2> uniform_keys{"start", "window"};
constexpr std::array<std::string_view, 2> poisson_keys{"start", "rate"};

arrival_spec read_arrival(const loader& l, const located& at) {
  const map_view m(l, at, arrival_keys, "{at: 0s}, {uniform: {...}} or {poisson: {...}}");
  if (m.size() != 1)
    l.fail(at,
           "arrival: give exactly one of {at: T}, {uniform: {start, window}}, "
           "{poisson: {start, rate}}");
  const auto& [kind, value] = m.fields().front();
  arrival_spec a;
  if (kind == "at") {
    a.kind = arrival_kind::at;
    a.start = l.read_duration(value, false);
  } else if (kind == "uniform") {
    a.kind = arrival_kind::uniform;
    const map_view u(l, value, uniform_keys, "a map {start, window}");
    if (const auto start = u.get("start")) a.start = l.read_duration(*start, false);
    const auto window = u.get("window");
    if (!window)
      l.fail(value, "uniform: needs a 'window' (arrivals spread over [start, start + window])");
    a.window = l.read_duration(*window, false);
  } else {
    a.kind = arrival_kind::poisson;
    const map_view p(l, value, poisson_keys, "a map {start, rate}");
    if (const auto start = p.get("start")) a.start = l.read_duration(*start, false);
    const auto rate = p.get("rate");
    if (!rate) l.fail(value, "poisson: needs a 'rate' (arrivals per second, e.g. 2/s or 30/min)");
    a.rate = l.read_frequency(*rate, "arrivals per second, e.g. 2/s");
    if (a.rate <= 0) l.fail(*rate, "rate: poisson rate must be greater than 0");
  }
  return a;
}

void write_arrival(YAML::Emitter& out, std::string_view key, const group_spec& g) {
  out << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginMap;
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
}

// ---- after completion -------------------------------------------------------------

constexpr std::array<std::string_view, 1> after_completion_keys{"seed_for"};
constexpr std::array<std::string_view, 3> seed_time_keys{"fixed", "exponential", "lognormal"};
constexpr std::array<std::string_view, 2> lognormal_keys{"median", "sigma"};

// The seeding time of seed_for, `at` being a map {fixed | exponential | lognormal: ...}.
void read_seed_time(const loader& l, const located& at, after_completion_spec& a) {
  const map_view d(l, at, seed_time_keys,
                   "a seeding time: 10min, {exponential: 10min} or "
                   "{lognormal: {median: 10min, sigma: 1}}");
  if (d.size() != 1)
    l.fail(at,
           "seed_for: give exactly one of T, {fixed: T}, {exponential: MEAN}, "
           "{lognormal: {median: T, sigma: S}}");
  const auto& [kind, value] = d.fields().front();
  if (kind == "fixed") {
    a.seed_time = l.read_duration(value, false);
  } else if (kind == "exponential") {
    a.distribution = seed_time_kind::exponential;
    a.seed_time = l.read_duration(value, true);
  } else {
    a.distribution = seed_time_kind::lognormal;
    const map_view m(l, value, lognormal_keys, "a map {median, sigma}");
    const auto median = m.get("median");
    const auto sigma = m.get("sigma");
    if (!median || !sigma) l.fail(value, "lognormal: needs 'median' (a duration) and 'sigma'");
    a.seed_time = l.read_duration(*median, true);
    a.sigma = l.read_number(*sigma, 0, 20, true);
  }
}

after_completion_spec read_after_completion(const loader& l, const located& at) {
  if (at.node.IsMap()) {
    const map_view m(l, at, after_completion_keys, "{seed_for: 10min}");
    const auto t = m.get("seed_for");
    if (!t) l.fail(at, "after_completion: expected stay, leave or {seed_for: 10min}");
    after_completion_spec a{after_completion_kind::seed_for, {}, seed_time_kind::fixed, 0};
    if (t->node.IsMap())
      read_seed_time(l, *t, a);
    else
      a.seed_time = l.read_duration(*t, false);
    return a;
  }
  if (at.node.IsScalar() && at.node.Scalar() == "seed_for")
    l.fail(at, "after_completion: seed_for needs a time, as in {seed_for: 10min}");
  return {l.read_enum(at, after_completion_names), {}};
}

void write_after_completion(YAML::Emitter& out, std::string_view key, const group_spec& g) {
  out << YAML::Key << std::string(key) << YAML::Value;
  const auto& ac = g.after_completion;
  if (ac.kind != after_completion_kind::seed_for) {
    out << name_of(after_completion_names, ac.kind);
    return;
  }
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
}

// ---- abort, picker, choker ----------------------------------------------------------

// Events per second, e.g. 1/h; 0 allowed.
struct frequency {
  static double read(const loader& l, const located& v) {
    return l.read_frequency(v, "aborts per second, e.g. 1/h");
  }
  static void write(YAML::Emitter& out, double x) { out << format_frequency(x); }
};

constexpr std::array<field<abort_spec>, 2> abort_table{{
    plain<fraction, &abort_spec::probability>("probability"),
    plain<frequency, &abort_spec::rate>("rate"),
}};

// Beside `policy` and the strategy's parameters (read_with_policy).
constexpr std::array<field<protocol::picker_options>, 4> picker_table{{
    plain<whole<>, &protocol::picker_options::random_first_pieces>("random_first_pieces"),
    plain<boolean, &protocol::picker_options::finish_started_first>("finish_started_first"),
    plain<boolean, &protocol::picker_options::endgame>("endgame"),
    plain<whole<>, &protocol::picker_options::max_endgame_duplicates>("max_endgame_duplicates"),
}};

using protocol::choker_options;

constexpr std::array<field<choker_options>, 12> choker_table{{
    // A whole number, or `auto`: slots scale with the upload capacity (mainline).
    {"upload_slots",
     [](const reading& r, const located& v, choker_options& c) {
       if (v.node.IsScalar() && v.node.Scalar() == "auto") {
         c.slots = protocol::slots_mode::automatic;
       } else {
         c.slots = protocol::slots_mode::fixed;
         c.upload_slots = static_cast<std::uint32_t>(r.l.read_whole(v, 0, u32_max));
       }
     },
     [](YAML::Emitter& out, std::string_view k, const choker_options& c) {
       if (c.slots == protocol::slots_mode::automatic)
         put(out, k, "auto");
       else
         put_value(out, k, c.upload_slots);
     }},
    plain<whole<>, &choker_options::optimistic_slots>("optimistic_slots"),
    plain<time_span<true>, &choker_options::rechoke_interval>("rechoke_interval"),
    plain<time_span<true>, &choker_options::optimistic_interval>("optimistic_interval"),
    plain<time_span<true>, &choker_options::snub_timeout>("snub_timeout"),
    plain<time_span<false>, &choker_options::new_peer_window>("new_peer_window"),
    plain<whole<1>, &choker_options::new_peer_weight>("new_peer_weight"),
    plain<named<seed_mode_names>, &choker_options::seed_mode>("seed_mode"),
    plain<size<u32_max>, &choker_options::round_robin_bytes>("round_robin_bytes"),
    plain<time_span<false>, &choker_options::round_robin_min_time>("round_robin_min_time"),
    plain<time_span<true>, &choker_options::round_robin_max_time>("round_robin_max_time"),
    plain<boolean, &choker_options::super_seeding>("super_seeding"),
}};

// A map that names a strategy: the strategy named by `policy` says which
// parameters it may hold beside the kind's common options in `table`
// (sim/scenario/strategy_schema.hpp).
template <typename T, std::size_t N>
void read_with_policy(const loader& l, const located& at, protocol::strategy_kind kind,
                      const std::array<field<T>, N>& table, T& options,
                      protocol::strategy_ref& policy, std::string_view expected, group_draft& g) {
  const protocol::strategy_info& info = read_policy(l, at, kind, *policy.info);
  std::vector<std::string_view> keys = keys_of(table);
  keys.push_back("policy");
  for (const auto& p : info.params)
    keys.push_back(p.name);
  const map_view m(l, at, keys, expected);
  read_fields(l, m, table, options);
  read_params(l, m, info, policy);
  for (const auto& [name, value] : m.fields())
    g.origins.insert_or_assign(fmt::format("{}.{}", at.key(), name), value);
}

template <typename T, std::size_t N>
void write_with_policy(YAML::Emitter& out, std::string_view k, const protocol::strategy_ref& policy,
                       const std::array<field<T>, N>& table, const T& options) {
  out << YAML::Key << std::string(k) << YAML::Value << YAML::Block << YAML::BeginMap;
  write_policy(out, policy);
  write_fields(out, table, options);
  out << YAML::EndMap;
}

// The neighbour policy has no common options of its own: max_connections and
// the others are group fields, which it starts from.
constexpr std::array<field<protocol::peer_options>, 0> neighbours_table{};

// ---- the table ----------------------------------------------------------------------

constexpr std::array<group_field, 26> group_table{{
    plain<text, &group_spec::name, group_draft>("name"),
    plain<whole<>, &group_spec::count, group_draft>("count"),
    // Shorthand for content: seed = all, leecher = none; read, never written.
    {"role",
     [](const reading& r, const located& v, group_draft& g) {
       if (r.m.get("content")) r.l.fail(v, "role: give either 'role' or 'content', not both");
       g.spec.content = {r.l.read_enum(v, role_names), 0};
     },
     nullptr},
    {"content",
     [](const reading& r, const located& v, group_draft& g) {
       g.spec.content = read_content(r.l, v);
     },
     write_content},
    plain<rate, &group_spec::upload, group_draft>("upload"),
    plain<rate, &group_spec::download, group_draft>("download"),
    {"site",
     [](const reading& r, const located& v, group_draft& g) {
       if (r.m.get("sites")) r.l.fail(v, "site: give either 'site' or 'sites', not both");
       g.spec.site = r.l.scalar(v, "a site name");
       g.spec.sites.clear();
     },
     [](YAML::Emitter& out, std::string_view k, const group_spec& g) {
       if (g.sites.empty()) put(out, k, g.site);
     }},
    {"sites",
     [](const reading& r, const located& v, group_draft& g) {
       g.spec.sites = v.node.IsNull() ? std::vector<site_share>{} : read_site_shares(r.l, v);
       g.origins.erase("site");
     },
     write_site_shares},
    {"classes",
     [](const reading& r, const located& v, group_draft& g) {
       g.spec.classes = v.node.IsNull() ? std::vector<bandwidth_class>{} : read_classes(r.l, v);
     },
     write_classes},
    {"upload_cap",
     [](const reading& r, const located& v, group_draft& g) {
       if (v.node.IsNull() || (v.node.IsScalar() && v.node.Scalar() == "none")) {
         g.spec.upload_cap.reset();
         return;
       }
       const auto cap = parse_rate(r.l.scalar(v, "a rate like 64kbit/s, 0 (free-rider) or none"));
       if (!cap) r.l.fail(v, fmt::format("upload_cap: {}", cap.error));
       if (*cap > 0)
         if (auto why = check_rate_floor(*cap)) r.l.fail(v, fmt::format("upload_cap: {}", *why));
       g.spec.upload_cap = *cap;
     },
     [](YAML::Emitter& out, std::string_view k, const group_spec& g) {
       put(out, k, g.upload_cap ? format_rate(*g.upload_cap) : "none");
     }},
    {"numwant",
     [](const reading& r, const located& v, group_draft& g) {
       if (v.node.IsScalar() && v.node.Scalar() == "tracker") {
         g.spec.numwant.reset();
         return;
       }
       g.spec.numwant = static_cast<std::uint32_t>(r.l.read_whole(v, 0, 200));
     },
     [](YAML::Emitter& out, std::string_view k, const group_spec& g) {
       if (g.numwant)
         put(out, k, fmt::format("{}", *g.numwant));
       else
         put(out, k, "tracker");
     }},
    {"arrival",
     [](const reading& r, const located& v, group_draft& g) {
       g.spec.arrival = read_arrival(r.l, v);
     },
     write_arrival},
    {"after_completion",
     [](const reading& r, const located& v, group_draft& g) {
       g.spec.after_completion = read_after_completion(r.l, v);
     },
     write_after_completion},
    {"leave_at",
     [](const reading& r, const located& v, group_draft& g) {
       if (v.node.IsNull() || (v.node.IsScalar() && v.node.Scalar() == "never"))
         g.spec.leave_at.reset();
       else
         g.spec.leave_at = r.l.read_duration(v, false);
     },
     [](YAML::Emitter& out, std::string_view k, const group_spec& g) {
       put(out, k, g.leave_at ? format_duration(*g.leave_at) : "never");
     }},
    {"abort",
     [](const reading& r, const located& v, group_draft& g) {
       read_map(r.l, v, abort_table, "a map {probability, rate}", g.spec.abort);
     },
     [](YAML::Emitter& out, std::string_view k, const group_spec& g) {
       write_map(out, k, abort_table, g.abort, YAML::Flow);
     }},
    {"picker",
     [](const reading& r, const located& v, group_draft& g) {
       auto& p = g.spec.peer.picker;
       read_with_policy(r.l, v, protocol::strategy_kind::picker, picker_table, p, p.policy,
                        "a map of piece picker options", g);
     },
     [](YAML::Emitter& out, std::string_view k, const group_spec& g) {
       write_with_policy(out, k, g.peer.picker.policy, picker_table, g.peer.picker);
     }},
    {"choker",
     [](const reading& r, const located& v, group_draft& g) {
       auto& c = g.spec.peer.choker;
       read_with_policy(r.l, v, protocol::strategy_kind::choker, choker_table, c, c.policy,
                        "a map of choker options", g);
     },
     [](YAML::Emitter& out, std::string_view k, const group_spec& g) {
       write_with_policy(out, k, g.peer.choker.policy, choker_table, g.peer.choker);
     }},
    {"neighbours",
     [](const reading& r, const located& v, group_draft& g) {
       auto& p = g.spec.peer;
       read_with_policy(r.l, v, protocol::strategy_kind::neighbours, neighbours_table, p,
                        p.neighbours, "a map {policy, ...}", g);
     },
     [](YAML::Emitter& out, std::string_view k, const group_spec& g) {
       write_with_policy(out, k, g.peer.neighbours, neighbours_table, g.peer);
     }},
    {"playback",
     [](const reading& r, const located& v, group_draft& g) {
       read_playback(r.l, v, g.spec.peer.playback);
     },
     [](YAML::Emitter& out, std::string_view k, const group_spec& g) {
       write_playback(out, k, g.peer.playback);
     }},
    peer<whole<1>, &protocol::peer_options::pipeline_depth>("pipeline_depth"),
    peer<whole<1, protocol::peer_options::max_connections_limit>,
         &protocol::peer_options::max_connections>("max_connections"),
    peer<whole<>, &protocol::peer_options::max_initiate>("max_initiate"),
    peer<whole<>, &protocol::peer_options::min_peers>("min_peers"),
    peer<time_span<false>, &protocol::peer_options::inactivity_timeout>("inactivity_timeout"),
    peer<time_span<false>, &protocol::peer_options::reconnect_delay>("reconnect_delay"),
    peer<named<send_have_names>, &protocol::peer_options::send_have>("send_have"),
}};

}  // namespace

std::span<const group_field> group_fields() {
  return group_table;
}

}  // namespace swarmsim::sim::scenario_yaml
