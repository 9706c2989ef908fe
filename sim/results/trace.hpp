#pragma once
// Per-peer traces of the unchoke and interest state (simulation.trace) and
// traces.csv.
//
// 1. One record per change a peer makes and sends: it chokes or unchokes a
//    remote, or becomes interested or not interested in it. Records are in the
//    order the peers sent the messages (time order, ties in event order).
// 2. Off by default: a driver with no trace kinds enabled records nothing.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "protocol/types.hpp"

namespace swarmsim::sim {

class output_directory;

enum class trace_event : std::uint8_t { unchoke, choke, interested, not_interested };

std::string_view to_string(trace_event e);

struct trace_record {
  protocol::duration time{};
  protocol::peer_id peer;    // who decided
  protocol::peer_id remote;  // about whom
  trace_event event = trace_event::unchoke;

  friend bool operator==(const trace_record&, const trace_record&) = default;
};

inline constexpr std::string_view traces_csv_name = "traces.csv";

// Columns: time_s, peer, remote, event.
std::string format_traces_csv(std::span<const trace_record> records);
// Writes traces.csv into `dir` (atomically); returns its path. Throws output_error.
std::filesystem::path write_traces_csv(output_directory& dir,
                                       std::span<const trace_record> records);

}  // namespace swarmsim::sim
