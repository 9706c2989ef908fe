#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {

protocol::peer_options peer_options_of(const group_spec& g, const tracker_spec& t,
                                       protocol::peer_options o) {
  o.picker = g.peer.picker;
  o.choker = g.peer.choker;
  o.neighbours = g.peer.neighbours;
  if (g.upload_cap && *g.upload_cap <= 0) {
    o.choker.upload_slots = 0;  // a free-rider unchokes nobody, whatever its strategy
    o.choker.optimistic_slots = 0;
    o.choker.slots = protocol::slots_mode::fixed;
    o.choker.policy = {&protocol::mainline_choker_info(), {}};
  }
  o.pipeline_depth = g.peer.pipeline_depth;
  o.queue = protocol::request_queue::fixed;  // a scenario's depth, real run or simulated
  o.max_connections = g.peer.max_connections;
  o.max_initiate = g.peer.max_initiate;
  o.min_peers = g.peer.min_peers;
  o.inactivity_timeout = g.peer.inactivity_timeout;
  o.reconnect_delay = g.peer.reconnect_delay;
  o.send_have = g.peer.send_have;
  o.playback = g.peer.playback;
  o.announce_interval = t.announce_interval;
  o.numwant = g.numwant.value_or(t.numwant);
  return o;
}

}  // namespace swarmsim::sim
