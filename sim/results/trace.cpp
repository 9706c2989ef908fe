#include "sim/results/trace.hpp"

#include <fmt/format.h>

#include "sim/results/output.hpp"

namespace swarmsim::sim {

std::string_view to_string(trace_event e) {
  switch (e) {
    case trace_event::unchoke:
      return "unchoke";
    case trace_event::choke:
      return "choke";
    case trace_event::interested:
      return "interested";
    case trace_event::not_interested:
      return "not_interested";
  }
  return "?";
}

std::string format_traces_csv(std::span<const trace_record> records) {
  std::string out = "time_s,peer,remote,event\n";
  out.reserve(out.size() + records.size() * 32);
  for (const auto& r : records)
    out += fmt::format("{},{},{},{}\n", format_seconds(r.time), r.peer.value(), r.remote.value(),
                       to_string(r.event));
  return out;
}

std::filesystem::path write_traces_csv(output_directory& dir,
                                       std::span<const trace_record> records) {
  return dir.add(traces_csv_name, format_traces_csv(records));
}

}  // namespace swarmsim::sim
