#pragma once
// The viewers' part of a run's results (peers of a group with playback,
// protocol/playback.hpp): what a sample sees of them, the summary over them,
// and their columns and keys in the result files (docs/OUTPUT.md).
//
// 1. A run without a viewer has none of it: no column, no key, no field, so
//    its files are the same as before playback existed.
// 2. Reading a viewer never changes it: a sample advances a copy.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/peer.hpp"
#include "protocol/playback.hpp"
#include "sim/results/metrics.hpp"

namespace swarmsim::sim {

// One viewer as a sample sees it at `now`.
struct viewer_point {
  protocol::playback::phase phase = protocol::playback::phase::waiting;
  double played = 0;  // seconds of content
  double buffer = 0;  // seconds the player can play before it stalls
};
viewer_point viewer_at(const protocol::playback& pb, protocol::time_point now,
                       const protocol::bitfield& have);

// What peer_record::playback holds for `p` at `now` (its departure or the end
// of the run): its viewer's outcome, or nothing for a peer without one. Both
// drivers record it so.
std::optional<protocol::playback_metrics> viewer_outcome(const protocol::peer& p,
                                                         protocol::time_point now);

// The sample of the viewers (finished ones left out).
playback_sample summarize_viewers(std::span<const viewer_point> viewers);

// Over the peers with a viewer; empty if there is none.
std::optional<playback_summary> summarize_playback(std::span<const peer_record> peers);

// peers.csv: the header's viewer columns and one peer's fields (empty fields
// for a peer without a viewer).
std::vector<std::string> playback_peer_header();
std::vector<std::string> playback_peer_fields(const peer_record& p);
// timeseries.csv: the same for a sample.
std::vector<std::string> playback_sample_header();
std::vector<std::string> playback_sample_fields(const playback_sample& x);
// summary.json: the value of the "playback" key, indented as a member of the
// top-level object.
std::string playback_summary_json(const playback_summary& s);
// The lines print_summary adds.
std::string playback_summary_text(const playback_summary& s);

}  // namespace swarmsim::sim
