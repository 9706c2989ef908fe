#pragma once
// The swarm driver: runs a scenario's peers (protocol::peer), their tracker
// (protocol::tracker) and the network between them (sim/engine/link_model.hpp) on a
// virtual clock, and records what happened (sim/results/metrics.hpp).
//
// 1. Deterministic: the same scenario (seed included) gives the same records, bit
//    for bit. All randomness comes from the scenario seed, split per peer.
// 2. Events at equal times run in the order they were scheduled.
// 3. Every BitTorrent message between peers is an event (HAVE fan-out to the
//    peers of one site shares one event; each receiver still processes its HAVE).
// 4. Optional features cost nothing per event when off: churn (abort, drawn
//    seeding times) is planned before the run (sim/engine/population.hpp); overlay
//    samples (sim/results/overlay.hpp) are events of their own; traces are recorded only
//    for the kinds simulation.trace names.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sim/results/metrics.hpp"
#include "sim/results/overlay.hpp"
#include "sim/results/trace.hpp"
#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {

struct run_progress {
  duration now{};
  std::uint32_t completed = 0;  // leechers completed so far
  std::uint32_t leechers = 0;   // leechers that will take part in all
  std::uint64_t events = 0;
};

struct run_result {
  std::vector<peer_record> peers;
  std::vector<sample> samples;
  std::vector<overlay_sample> overlay;  // empty unless simulation.overlay_interval is set
  std::vector<trace_record> traces;     // empty unless simulation.trace names a kind
  run_info info;
  // Block payload uploaded but never received: it reached a connection that had
  // closed, or was still on the wire when the run ended. Bytes are conserved:
  // sum(bytes_uploaded) == sum(bytes_downloaded) + undelivered_payload.
  std::uint64_t undelivered_payload = 0;
  // Connections closed because a peer broke BEP 3 (a driver bug if ever non-zero).
  std::uint64_t protocol_errors = 0;
  // Connections still waiting for a handshake a second after they opened, at the
  // end of the run (a driver bug if ever non-zero).
  std::uint64_t stalled_handshakes = 0;
  // Blocks whose transmission started while the sender choked the receiver, or
  // after the sender had left (BEP 3 and churn invariants; must stay zero).
  std::uint64_t blocks_sent_while_choking = 0;
  std::uint64_t blocks_sent_after_departure = 0;
};

class swarm {
 public:
  // Checks what only the driver can (every piece held by someone at the start,
  // sites exist); throws scenario_error.
  explicit swarm(scenario s);
  ~swarm();
  swarm(const swarm&) = delete;
  swarm& operator=(const swarm&) = delete;

  // Runs to the scenario's stop condition. `progress` (may be empty) is called
  // every few thousand events.
  run_result run(const std::function<void(const run_progress&)>& progress = {});

  // Theoretical minimum distribution time (Kumar & Ross) for the peers present
  // at t = 0; empty if there are no leechers then.
  std::optional<duration> t_min() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace swarmsim::sim
