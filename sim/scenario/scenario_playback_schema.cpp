// A group's `playback` field: a viewer playing the content while it downloads
// (protocol/playback.hpp), e.g.
//   playback: {bitrate: 2Mbit/s, start: {buffered: 10s}, skip_after: 5s, offset: 0s}
// or `playback: none` (the default: no viewer).

#include <fmt/format.h>

#include "sim/scenario/scenario_yaml.hpp"

namespace swarmsim::sim::scenario_yaml {

namespace {

using protocol::playback_options;

constexpr std::array<std::string_view, 2> start_keys{"buffered", "first_pieces"};

void read_start(const loader& l, const located& at, playback_options& p) {
  const map_view m(l, at, start_keys, "a map {buffered: 10s} or {first_pieces: K}");
  const auto buffered = m.get("buffered");
  const auto first = m.get("first_pieces");
  if (buffered && first) l.fail(at, "start: give either 'buffered' or 'first_pieces', not both");
  if (buffered) {
    p.start_buffer = l.read_duration(*buffered, false);
    p.start_pieces = 0;
  } else if (first) {
    p.start_pieces = static_cast<std::uint32_t>(l.read_whole(*first, 1, u32_max));
  } else {
    l.fail(at, "start: expected {buffered: 10s} or {first_pieces: K}");
  }
}

constexpr std::array<field<playback_options>, 4> playback_table{{
    plain<rate, &playback_options::bitrate>("bitrate"),
    {"start",
     [](const reading& r, const located& v, playback_options& p) { read_start(r.l, v, p); },
     [](YAML::Emitter& out, std::string_view k, const playback_options& p) {
       out << YAML::Key << std::string(k) << YAML::Value << YAML::Flow << YAML::BeginMap;
       if (p.start_pieces > 0)
         out << YAML::Key << "first_pieces" << YAML::Value << p.start_pieces;
       else
         out << YAML::Key << "buffered" << YAML::Value << format_duration(p.start_buffer);
       out << YAML::EndMap;
     }},
    {"skip_after",
     [](const reading& r, const located& v, playback_options& p) {
       if (v.node.IsScalar() && v.node.Scalar() == "never")
         p.skip_after.reset();
       else
         p.skip_after = r.l.read_duration(v, true);
     },
     [](YAML::Emitter& out, std::string_view k, const playback_options& p) {
       put(out, k, p.skip_after ? format_duration(*p.skip_after) : "never");
     }},
    plain<time_span<false>, &playback_options::start_offset>("offset"),
}};

}  // namespace

void read_playback(const loader& l, const located& at, playback_options& out) {
  if (at.node.IsNull() || (at.node.IsScalar() && at.node.Scalar() == "none")) {
    out = {};
    return;
  }
  playback_options p;
  const auto m =
      read_map(l, at, playback_table, "a map {bitrate, start, skip_after, offset} or none", p);
  if (!m.get("bitrate")) l.fail(at, "playback: needs a 'bitrate', as in {bitrate: 2Mbit/s}");
  out = p;
}

void write_playback(YAML::Emitter& out, std::string_view key, const playback_options& p) {
  if (!p.enabled()) return;  // left out: no viewer
  write_map(out, key, playback_table, p, YAML::Flow);
}

}  // namespace swarmsim::sim::scenario_yaml
