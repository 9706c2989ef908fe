#include "sim/scenario.hpp"

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
