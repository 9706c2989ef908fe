// The fields of a scenario file, section by section: one table entry per key,
// with how it is read and how it is written (see scenario_yaml.hpp), in the
// order of scenarios/README.md and of the resolved file.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/scenario/scenario_yaml.hpp"
#include "sim/scenario/units.hpp"

namespace swarmsim::sim::scenario_yaml {

namespace {

// ---- torrent, tracker, network --------------------------------------------------

constexpr std::array<field<torrent_spec>, 3> torrent_table{{
    plain<size<u64_max>, &torrent_spec::size>("size"),
    plain<size<u32_max>, &torrent_spec::piece_size>("piece_size"),
    plain<size<u32_max>, &torrent_spec::block_size>("block_size"),
}};

constexpr std::array<field<tracker_spec>, 5> tracker_table{{
    plain<whole<>, &tracker_spec::numwant>("numwant"),
    plain<time_span<true>, &tracker_spec::announce_interval>("announce_interval"),
    plain<time_span<false>, &tracker_spec::min_interval>("min_interval"),
    plain<time_span<true>, &tracker_spec::expire_after>("expire_after"),
    plain<time_span<false>, &tracker_spec::latency>("latency"),
}};

constexpr std::array<std::string_view, 1> site_keys{"name"};

std::vector<site_spec> read_sites(const loader& l, const located& at) {
  if (!at.node.IsSequence())
    l.fail(at, fmt::format("sites: expected a list of site names, got {}", kind_of(at.node)));
  if (at.node.size() == 0) l.fail(at, "sites: the network needs at least one site");
  std::vector<site_spec> out;
  for (std::size_t i = 0; i < at.node.size(); ++i) {
    located s{at.node[i], child(at.path, std::to_string(i))};
    if (s.node.IsMap()) {
      const map_view sm(l, s, site_keys, "a site");
      const auto name = sm.get("name");
      if (!name) l.fail(s, "site: needs a 'name'");
      s = *name;
    }
    site_spec site{l.scalar(s, "a site name")};
    if (site.name.empty()) l.fail(s, "site: the name must not be empty");
    for (const auto& other : out)
      if (other.name == site.name) l.fail(s, fmt::format("duplicate site '{}'", site.name));
    out.push_back(std::move(site));
  }
  return out;
}

void write_links(YAML::Emitter& out, std::string_view key, const network_spec& net) {
  out << YAML::Key << std::string(key) << YAML::Value;
  if (net.links.empty()) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const auto& l : net.links) {
    out << YAML::Flow << YAML::BeginMap;
    put(out, "a", l.a);
    put(out, "b", l.b);
    put(out, "latency", format_duration(l.latency));
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

constexpr std::array<field<network_spec>, 3> network_table{{
    {"sites",
     [](const reading& r, const located& v, network_spec& net) { net.sites = read_sites(r.l, v); },
     [](YAML::Emitter& out, std::string_view k, const network_spec& net) {
       out << YAML::Key << std::string(k) << YAML::Value << YAML::BeginSeq;
       for (const auto& site : net.sites)
         put_string(out, site.name);
       out << YAML::EndSeq;
     }},
    {"links",
     [](const reading& r, const located& v, network_spec& net) {
       net.links = read_links(r.l, v, net);
     },
     write_links},
    plain<time_span<false>, &network_spec::local_latency>("local_latency"),
}};

// ---- simulation --------------------------------------------------------------------

std::vector<trace_kind> read_trace(const loader& l, const located& at) {
  if (!at.node.IsSequence() && !at.node.IsNull())
    l.fail(at, fmt::format("trace: expected a list such as [unchoke, interest], got {}",
                           kind_of(at.node)));
  std::vector<trace_kind> out;
  for (std::size_t i = 0; i < at.node.size(); ++i) {
    const trace_kind k =
        l.read_enum(located{at.node[i], child(at.path, std::to_string(i))}, trace_names);
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  std::sort(out.begin(), out.end());
  return out;
}

constexpr std::array<field<simulation_spec>, 6> simulation_table{{
    plain<whole<0, u64_max>, &simulation_spec::seed>("seed"),
    plain<named<stop_names>, &simulation_spec::stop>("stop"),
    plain<time_span<true>, &simulation_spec::time_limit>("time_limit"),
    plain<time_span<true>, &simulation_spec::sample_interval>("sample_interval"),
    {"overlay_interval",
     [](const reading& r, const located& v, simulation_spec& sim) {
       if (v.node.IsNull() || (v.node.IsScalar() && v.node.Scalar() == "off"))
         sim.overlay_interval.reset();
       else
         sim.overlay_interval = r.l.read_duration(v, true);
     },
     [](YAML::Emitter& out, std::string_view k, const simulation_spec& sim) {
       put(out, k, sim.overlay_interval ? format_duration(*sim.overlay_interval) : "off");
     }},
    {"trace",
     [](const reading& r, const located& v, simulation_spec& sim) {
       sim.trace = read_trace(r.l, v);
     },
     [](YAML::Emitter& out, std::string_view k, const simulation_spec& sim) {
       out << YAML::Key << std::string(k) << YAML::Value << YAML::Flow << YAML::BeginSeq;
       for (const trace_kind t : sim.trace)
         out << name_of(trace_names, t);
       out << YAML::EndSeq;
     }},
}};

}  // namespace

// ---- the top level -------------------------------------------------------------------

namespace {

// Whether results/<name> is a directory right under results/.
bool usable_as_directory_name(std::string_view name) {
  const auto bad = [](char c) {
    return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  };
  return !name.empty() && name != "." && name != ".." &&
         std::none_of(name.begin(), name.end(), bad);
}

constexpr std::array<field<scenario>, 8> scenario_table{{
    {"name",
     [](const reading& r, const located& v, scenario& s) {
       s.name = r.l.read_string(v);
       if (!usable_as_directory_name(s.name))
         r.l.fail(v, fmt::format("name: '{}' cannot name a directory (the results go to "
                                 "results/<name> by default): give a name without '/', '\\' or "
                                 "control characters, other than '.' and '..'",
                                 s.name));
     },
     [](YAML::Emitter& out, std::string_view k, const scenario& s) { put(out, k, s.name); }},
    {"description",
     [](const reading& r, const located& v, scenario& s) {
       s.description = v.node.IsNull() ? std::string{} : r.l.read_string(v);
     },
     [](YAML::Emitter& out, std::string_view k, const scenario& s) { put(out, k, s.description); }},
    {"torrent",
     [](const reading& r, const located& v, scenario& s) {
       const auto m = read_map(r.l, v, torrent_table, "a map of torrent sizes", s.torrent);
       check_torrent(r.l, v, m, s.torrent);
     },
     [](YAML::Emitter& out, std::string_view k, const scenario& s) {
       write_map(out, k, torrent_table, s.torrent);
     }},
    {"tracker",
     [](const reading& r, const located& v, scenario& s) {
       read_map(r.l, v, tracker_table, "a map of tracker settings", s.tracker);
     },
     [](YAML::Emitter& out, std::string_view k, const scenario& s) {
       write_map(out, k, tracker_table, s.tracker);
     }},
    {"network",
     [](const reading& r, const located& v, scenario& s) {
       const auto m = read_map(r.l, v, network_table, "a map of network settings", s.network);
       check_routes(r.l, m, s.network);
     },
     [](YAML::Emitter& out, std::string_view k, const scenario& s) {
       write_map(out, k, network_table, s.network);
     }},
    // Fields every group starts from; read with the groups, never written (the
    // groups are written out whole).
    {"defaults", [](const reading&, const located&, scenario&) {}, nullptr},
    {"groups",
     [](const reading& r, const located&, scenario& s) {
       s.groups = read_groups(r.l, r.m, s.network);
     },
     [](YAML::Emitter& out, std::string_view k, const scenario& s) {
       out << YAML::Key << std::string(k) << YAML::Value << YAML::BeginSeq;
       for (const auto& g : s.groups) {
         out << YAML::BeginMap;
         write_fields(out, group_fields(), g);
         out << YAML::EndMap;
       }
       out << YAML::EndSeq;
     }},
    {"simulation",
     [](const reading& r, const located& v, scenario& s) {
       read_map(r.l, v, simulation_table, "a map of simulation settings", s.simulation);
     },
     [](YAML::Emitter& out, std::string_view k, const scenario& s) {
       write_map(out, k, simulation_table, s.simulation);
     }},
}};

}  // namespace

std::span<const field<scenario>> scenario_fields() {
  return scenario_table;
}

}  // namespace swarmsim::sim::scenario_yaml
