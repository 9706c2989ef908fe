#pragma once
// The swarm driver's view of one peer's connections: where each leads, and
// whether it is pending, open or closed at either end.

#include <fmt/format.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "protocol/peer.hpp"
#include "protocol/types.hpp"

namespace swarmsim::sim {

// unused: an entry of the link table that no connection took yet.
enum class link_state : std::uint8_t { unused, pending, open, closed };

inline constexpr std::uint32_t no_peer = 0xffffffffu;

// Where one connection of a peer leads.
struct link_ref {
  protocol::connection_id id;           // our connection id
  protocol::connection_id remote_conn;  // the remote's id of it (known once open)
  std::uint32_t remote = no_peer;
  link_state state = link_state::unused;
  bool in_ring = false;  // queued on our uplink (sim/engine/link_model.hpp)
  // The remote's end of this connection is open (and the remote live): a mirror
  // of the remote's own link entry that the remote keeps up to date, so the
  // HAVE fan-out need not load it.
  bool remote_open = false;
  protocol::time_point established{};
};

// A peer's connections, each at the index protocol::peer::slot_of gives its id,
// so find() is one indexed load.
// 1. An index holds one pending or open link at a time: the protocol gives an
//    index again only once its session closed, which the link followed (add()
//    throws on a clash).
// 2. for_each visits the links in the order they began; closed ones stay
//    (findable by id) until the next add().
class link_table {
 public:
  // Connection `c` (pending, open or closed), nullptr if unknown or its index
  // was taken by a later connection.
  link_ref* find(protocol::connection_id c) {
    const std::uint32_t k = protocol::peer::slot_of(c);
    if (k >= links_.size() || links_[k].id != c || links_[k].state == link_state::unused)
      return nullptr;
    return &links_[k];
  }
  const link_ref* find(protocol::connection_id c) const {
    return const_cast<link_table*>(this)->find(c);
  }

  // Adds a connection at its index, first dropping the closed ones from the
  // order (the open ones keep theirs).
  void add(const link_ref& l) {
    if (closed_ > 0) {
      std::erase_if(order_, [&](std::uint32_t k) { return links_[k].state == link_state::closed; });
      closed_ = 0;
    }
    const std::uint32_t k = protocol::peer::slot_of(l.id);
    if (k >= links_.size()) links_.resize(k + 1);
    if (links_[k].state == link_state::pending || links_[k].state == link_state::open)
      throw std::logic_error(fmt::format("connection {} takes the index of open connection {}",
                                         l.id.value(), links_[k].id.value()));
    links_[k] = l;
    order_.push_back(k);
  }

  // `l` (one of ours) closes.
  void close(link_ref& l) {
    l.state = link_state::closed;
    ++closed_;
  }

  template <typename F>
  void for_each(F&& f) const {
    for (const std::uint32_t k : order_)
      f(links_[k]);
  }

  // Forgets every link (the peer left), freeing the memory.
  void clear() {
    links_ = {};
    order_ = {};
    closed_ = 0;
  }

 private:
  std::vector<link_ref> links_;
  std::vector<std::uint32_t> order_;
  std::uint32_t closed_ = 0;
};

}  // namespace swarmsim::sim
