#include "protocol/tracker.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <tuple>
#include <unordered_map>

#include "protocol/invariant.hpp"

namespace swarmsim::protocol {

namespace {

// FNV-1a over the 20 bytes: peer ids in simulations differ only in a few bytes.
struct id_hash {
  std::size_t operator()(const wire_peer_id& id) const noexcept {
    std::uint64_t h = 14695981039346656037ull;
    for (auto b : id) {
      h ^= b;
      h *= 1099511628211ull;
    }
    return static_cast<std::size_t>(h);
  }
};

// One torrent's peers. Each peer sits in a slot that does not move while it stays;
// `order` lists the occupied slots densely, for O(1) removal and for shuffling.
// 1. index[id] == s  <=>  slots[s] is occupied by the peer `id`; ids are unique.
// 2. order[slots[s].pos] == s for every occupied slot s; order holds each
//    occupied slot once and nothing else.
// 3. complete == number of occupied slots with left == 0.
struct swarm {
  struct member {
    tracked_peer info;
    std::uint32_t pos = 0;            // in `order`
    bool counted_completion = false;  // its "completed" event is in `downloaded`
  };
  std::vector<member> slots;
  std::vector<std::uint32_t> free_slots;
  std::vector<std::uint32_t> order;
  std::unordered_map<wire_peer_id, std::uint32_t, id_hash> index;
  std::uint32_t complete = 0;
  std::uint32_t downloaded = 0;

  std::uint32_t size() const { return static_cast<std::uint32_t>(order.size()); }

  // The peer's slot, occupying a fresh one if it is new.
  std::uint32_t find_or_add(const wire_peer_id& id, bool& added) {
    auto [it, fresh] = index.try_emplace(id, 0);
    added = fresh;
    if (!fresh) return it->second;
    std::uint32_t s;
    if (free_slots.empty()) {
      s = static_cast<std::uint32_t>(slots.size());
      slots.emplace_back();
    } else {
      s = free_slots.back();
      free_slots.pop_back();
      slots[s] = member{};
    }
    it->second = s;
    slots[s].info.peer = id;
    slots[s].pos = size();
    order.push_back(s);
    return s;
  }

  void swap_order(std::uint32_t a, std::uint32_t b) {
    std::swap(order[a], order[b]);
    slots[order[a]].pos = a;
    slots[order[b]].pos = b;
  }

  void remove_slot(std::uint32_t s) {
    member& m = slots[s];
    if (m.info.left == 0) --complete;
    index.erase(m.info.peer);
    swap_order(m.pos, size() - 1);
    order.pop_back();
    free_slots.push_back(s);
  }

  void remove(const wire_peer_id& id) {
    if (auto it = index.find(id); it != index.end()) remove_slot(it->second);
  }
};

// A pending expiry check: the occupant of `slot` expires at last_announce +
// expire_after unless it has announced since, or left (then the entry is stale).
struct expiry_entry {
  time_point last_announce;
  std::uint32_t torrent;
  std::uint32_t slot;
  bool operator>(const expiry_entry& o) const { return last_announce > o.last_announce; }
};

// The entries of a priority_queue, in heap order (its container is protected).
template <typename Queue>
const typename Queue::container_type& entries_of(const Queue& q) {
  struct view : Queue {
    static const typename Queue::container_type& of(const Queue& q) { return q.*(&view::c); }
  };
  return view::of(q);
}

void check_swarm(const swarm& s, std::uint32_t torrent) {
  require(
      s.index.size() == s.order.size() && s.order.size() + s.free_slots.size() == s.slots.size(),
      "tracker invariant 1: torrent {} has {} ids, {} peers in order, {} free of {} slots", torrent,
      s.index.size(), s.order.size(), s.free_slots.size(), s.slots.size());
  std::vector<std::uint8_t> used(s.slots.size(), 0);
  std::uint32_t complete = 0, completions = 0;
  for (std::size_t i = 0; i < s.order.size(); ++i) {
    const std::uint32_t slot = s.order[i];
    require(slot < s.slots.size() && !used[slot] && s.slots[slot].pos == i,
            "tracker invariant 1: torrent {} order[{}] = slot {}, out of range, listed twice or "
            "not at its pos",
            torrent, i, slot);
    used[slot] = 1;
    const swarm::member& m = s.slots[slot];
    const auto it = s.index.find(m.info.peer);
    require(it != s.index.end() && it->second == slot,
            "tracker invariant 1: torrent {} slot {} holds a peer id indexed elsewhere", torrent,
            slot);
    complete += m.info.left == 0;
    completions += m.counted_completion;
  }
  for (const std::uint32_t slot : s.free_slots) {
    require(slot < s.slots.size() && !used[slot],
            "tracker: torrent {} free slot {} is out of range, occupied or free twice", torrent,
            slot);
    used[slot] = 2;
  }
  require(complete == s.complete && s.complete <= s.size(),
          "tracker invariant 2: torrent {} counts {} complete of {}, {} announced left 0", torrent,
          s.complete, s.size(), complete);
  require(completions <= s.downloaded,
          "tracker invariant 3: torrent {} downloaded {}, yet {} peers counted a completion",
          torrent, s.downloaded, completions);
}

}  // namespace

struct tracker::impl {
  tracker_options options;
  rng random;
  std::map<sha1_hash, std::uint32_t> torrent_index;
  std::vector<swarm> swarms;
  // Min-heap by last_announce; pruned of stale entries lazily, hence mutable.
  mutable std::priority_queue<expiry_entry, std::vector<expiry_entry>, std::greater<>> expiry;

  impl(tracker_options o, std::uint64_t seed) : options(o), random(seed) {}

  bool is_live(const expiry_entry& e) const {
    const auto& s = swarms[e.torrent];
    if (e.slot >= s.slots.size()) return false;
    const auto& m = s.slots[e.slot];
    // A free slot has pos out of range or points elsewhere in `order`.
    return m.pos < s.size() && s.order[m.pos] == e.slot && m.info.last_announce == e.last_announce;
  }

  void prune_stale() const {
    while (!expiry.empty() && !is_live(expiry.top()))
      expiry.pop();
  }

  // Up to `k` distinct random peers other than `asker`: a partial Fisher-Yates
  // shuffle of the swarm's `order` (which carries no meaning), O(k).
  std::vector<peer_entry> select(swarm& s, std::uint32_t asker, std::uint32_t k) {
    s.swap_order(s.slots[asker].pos, s.size() - 1);
    const std::uint32_t n = s.size() - 1;
    k = std::min(k, n);
    std::vector<peer_entry> out;
    out.reserve(k);
    for (std::uint32_t i = 0; i < k; ++i) {
      s.swap_order(i, std::uniform_int_distribution<std::uint32_t>(i, n - 1)(random));
      const auto& info = s.slots[s.order[i]].info;
      out.push_back({info.peer, info.address});
    }
    return out;
  }
};

tracker::tracker(tracker_options options, std::uint64_t seed)
    : impl_(std::make_unique<impl>(options, seed)) {}
tracker::~tracker() = default;
tracker::tracker(tracker&&) noexcept = default;
tracker& tracker::operator=(tracker&&) noexcept = default;

const tracker_options& tracker::options() const {
  return impl_->options;
}

announce_response tracker::announce(const announce_request& request, time_point now) {
  auto& d = *impl_;
  announce_response response;
  response.interval = d.options.interval;
  response.min_interval = d.options.min_interval;

  auto found = d.torrent_index.find(request.info_hash);
  if (found == d.torrent_index.end()) {
    if (request.event == announce_event::stopped) return response;
    found = d.torrent_index.emplace(request.info_hash, static_cast<std::uint32_t>(d.swarms.size()))
                .first;
    d.swarms.emplace_back();
  }
  const std::uint32_t torrent = found->second;
  swarm& s = d.swarms[torrent];

  if (request.event == announce_event::stopped) {
    s.remove(request.peer);
  } else {
    bool added = false;
    const std::uint32_t slot = s.find_or_add(request.peer, added);
    swarm::member& m = s.slots[slot];
    if (!added && m.info.left == 0) --s.complete;
    m.info.address = request.address;
    m.info.uploaded = request.uploaded;
    m.info.downloaded = request.downloaded;
    m.info.left = request.left;
    m.info.last_announce = now;
    if (request.left == 0) ++s.complete;
    if (request.event == announce_event::completed && !m.counted_completion) {
      m.counted_completion = true;
      ++s.downloaded;
    }
    d.expiry.push({now, torrent, slot});

    const auto numwant =
        std::min(request.numwant.value_or(d.options.default_numwant), d.options.max_numwant);
    response.peers = d.select(s, slot, numwant);
  }
  response.complete = s.complete;
  response.incomplete = s.size() - s.complete;
  return response;
}

std::optional<scrape_entry> tracker::scrape(const sha1_hash& info_hash) const {
  auto found = impl_->torrent_index.find(info_hash);
  if (found == impl_->torrent_index.end()) return std::nullopt;
  const swarm& s = impl_->swarms[found->second];
  return scrape_entry{s.complete, s.size() - s.complete, s.downloaded};
}

std::vector<sha1_hash> tracker::torrents() const {
  std::vector<sha1_hash> out;
  out.reserve(impl_->torrent_index.size());
  for (const auto& [hash, index] : impl_->torrent_index)
    out.push_back(hash);
  return out;
}

std::vector<tracked_peer> tracker::peers(const sha1_hash& info_hash) const {
  std::vector<tracked_peer> out;
  auto found = impl_->torrent_index.find(info_hash);
  if (found == impl_->torrent_index.end()) return out;
  const swarm& s = impl_->swarms[found->second];
  out.reserve(s.size());
  for (auto slot : s.order)
    out.push_back(s.slots[slot].info);
  return out;
}

void tracker::check_invariants() const {
  const impl& d = *impl_;
  require(d.torrent_index.size() == d.swarms.size(), "tracker: {} torrents indexed, {} swarms",
          d.torrent_index.size(), d.swarms.size());
  std::vector<std::uint8_t> indexed(d.swarms.size(), 0);
  for (const auto& [hash, t] : d.torrent_index) {
    require(t < d.swarms.size() && !indexed[t], "tracker: swarm {} indexed twice or out of range",
            t);
    indexed[t] = 1;
  }
  for (std::uint32_t t = 0; t < d.swarms.size(); ++t)
    check_swarm(d.swarms[t], t);
  // Invariant 7: a heap entry for every peer's last announce.
  const auto& heap = entries_of(d.expiry);
  require(std::is_heap(heap.begin(), heap.end(), std::greater<>()),
          "tracker invariant 7: the expiry entries are not a min-heap");
  std::vector<std::tuple<std::uint32_t, std::uint32_t, time_point>> entries;
  entries.reserve(heap.size());
  for (const expiry_entry& e : heap)
    entries.emplace_back(e.torrent, e.slot, e.last_announce);
  std::sort(entries.begin(), entries.end());
  for (std::uint32_t t = 0; t < d.swarms.size(); ++t) {
    for (const std::uint32_t slot : d.swarms[t].order) {
      const time_point last = d.swarms[t].slots[slot].info.last_announce;
      require(std::binary_search(entries.begin(), entries.end(), std::tuple{t, slot, last}),
              "tracker invariant 7: torrent {} slot {} (last announce {} ns) has no expiry entry",
              t, slot, last.time_since_epoch().count());
    }
  }
}

std::optional<time_point> tracker::next_deadline() const {
  impl_->prune_stale();
  if (impl_->expiry.empty()) return std::nullopt;
  return impl_->expiry.top().last_announce + impl_->options.expire_after;
}

std::size_t tracker::on_deadline(time_point now) {
  auto& d = *impl_;
  std::size_t removed = 0;
  while (!d.expiry.empty() && d.expiry.top().last_announce + d.options.expire_after <= now) {
    const expiry_entry e = d.expiry.top();
    d.expiry.pop();
    if (!d.is_live(e)) continue;
    d.swarms[e.torrent].remove_slot(e.slot);
    ++removed;
  }
  return removed;
}

}  // namespace swarmsim::protocol
