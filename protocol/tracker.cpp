#include "protocol/tracker.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <string_view>
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
// `order` lists the occupied slots densely, for O(1) removal and for shuffling,
// and `listed` beside it what a response lists of each: picking peers reads and
// swaps these dense arrays only, not the slots (fewer cache misses).
// 1. index[id] == s  <=>  slots[s] is occupied by the peer `id`; ids are unique.
// 2. order[pos[s]] == s for every occupied slot s; order holds each occupied
//    slot once and nothing else.
// 3. complete == number of occupied slots with left == 0.
// 4. An occupied slot's `occupant` is unique over the tracker's life; a free
//    slot's is 0, so no expiry entry matches it.
// 5. listed[i] is the id and address of the peer in slot order[i].
struct swarm {
  struct member {
    tracked_peer info;
    std::uint64_t occupant = 0;
    bool counted_completion = false;  // its "completed" event is in `downloaded`
  };
  sha1_hash hash{};
  std::vector<member> slots;
  std::vector<std::uint32_t> pos;  // per slot: its place in `order`
  std::vector<std::uint32_t> free_slots;
  std::vector<std::uint32_t> order;
  std::vector<peer_entry> listed;  // beside `order`
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
      pos.push_back(0);
    } else {
      s = free_slots.back();
      free_slots.pop_back();
      slots[s] = member{};
    }
    it->second = s;
    slots[s].info.peer = id;
    pos[s] = size();
    order.push_back(s);
    listed.push_back({id, {}});
    return s;
  }

  void swap_order(std::uint32_t a, std::uint32_t b) {
    std::swap(order[a], order[b]);
    std::swap(listed[a], listed[b]);
    pos[order[a]] = a;
    pos[order[b]] = b;
  }

  void remove_slot(std::uint32_t s) {
    member& m = slots[s];
    if (m.info.left == 0) --complete;
    index.erase(m.info.peer);
    swap_order(pos[s], size() - 1);
    order.pop_back();
    listed.pop_back();
    m.occupant = 0;
    free_slots.push_back(s);
  }
};

// A pending expiry check of the peer `occupant` in `slot`: it expires at
// stamp + expire_after unless it announced after `stamp` (then the entry is
// re-pushed with its last announce) or left (then the entry is stale).
struct expiry_entry {
  time_point stamp;
  std::uint32_t torrent;
  std::uint32_t slot;
  std::uint64_t occupant;
  bool operator>(const expiry_entry& o) const { return stamp > o.stamp; }
};

using expiry_heap = std::priority_queue<expiry_entry, std::vector<expiry_entry>, std::greater<>>;

// Stale expiry entries tolerated beyond one per peer before the heap is rebuilt.
constexpr std::size_t stale_entry_slack = 1024;

// The entries of a priority_queue, in heap order (its container is protected).
template <typename Queue>
const typename Queue::container_type& entries_of(const Queue& q) {
  struct view : Queue {
    static const typename Queue::container_type& of(const Queue& q) { return q.*(&view::c); }
  };
  return view::of(q);
}

void check_swarm(const swarm& s, std::uint32_t torrent) {
  require(s.index.size() == s.order.size() && s.listed.size() == s.order.size() &&
              s.order.size() + s.free_slots.size() == s.slots.size() &&
              s.pos.size() == s.slots.size(),
          "tracker invariant 1: torrent {} has {} ids, {} peers in order, {} listed, {} free of {} "
          "slots",
          torrent, s.index.size(), s.order.size(), s.listed.size(), s.free_slots.size(),
          s.slots.size());
  std::vector<std::uint8_t> used(s.slots.size(), 0);
  std::uint32_t complete = 0, completions = 0;
  for (std::size_t i = 0; i < s.order.size(); ++i) {
    const std::uint32_t slot = s.order[i];
    require(slot < s.slots.size() && !used[slot] && s.pos[slot] == i,
            "tracker invariant 1: torrent {} order[{}] = slot {}, out of range, listed twice or "
            "not at its pos",
            torrent, i, slot);
    used[slot] = 1;
    const swarm::member& m = s.slots[slot];
    const auto it = s.index.find(m.info.peer);
    require(it != s.index.end() && it->second == slot,
            "tracker invariant 1: torrent {} slot {} holds a peer id indexed elsewhere", torrent,
            slot);
    require(m.occupant != 0, "tracker: torrent {} slot {} is occupied by occupant 0", torrent,
            slot);
    require(s.listed[i] == peer_entry{m.info.peer, m.info.address},
            "tracker: torrent {} lists another id or address at {} than slot {} holds", torrent, i,
            slot);
    complete += m.info.left == 0;
    completions += m.counted_completion;
  }
  for (const std::uint32_t slot : s.free_slots) {
    require(slot < s.slots.size() && !used[slot] && s.slots[slot].occupant == 0,
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
  std::vector<sha1_hash> allowed;  // sorted; consulted when options.allowed_torrents
  std::map<sha1_hash, std::uint32_t> torrent_index;
  std::vector<swarm> swarms;  // tracked ones, and free ones (empty) listed below
  std::vector<std::uint32_t> free_swarms;
  std::size_t peers = 0;
  std::uint64_t next_occupant = 1;
  // Min-heap by stamp; refreshed and pruned lazily, hence mutable.
  mutable expiry_heap expiry;

  impl(tracker_options o, std::uint64_t seed) : options(std::move(o)), random(seed) {
    if (options.allowed_torrents) {
      allowed = *options.allowed_torrents;
      std::sort(allowed.begin(), allowed.end());
    }
  }

  bool admits(const sha1_hash& h) const {
    return !options.allowed_torrents || std::binary_search(allowed.begin(), allowed.end(), h);
  }

  // The peer an entry is about, if it is still there.
  const swarm::member* occupant_of(const expiry_entry& e) const {
    const auto& s = swarms[e.torrent];
    if (e.slot >= s.slots.size()) return nullptr;
    const auto& m = s.slots[e.slot];
    return m.occupant == e.occupant ? &m : nullptr;
  }

  // Brings a live entry stamped with its peer's last announce to the top (rule 7).
  void refresh_top() const {
    while (!expiry.empty()) {
      const expiry_entry e = expiry.top();
      const swarm::member* m = occupant_of(e);
      if (m && m->info.last_announce == e.stamp) return;
      expiry.pop();
      if (m) expiry.push({m->info.last_announce, e.torrent, e.slot, e.occupant});
    }
  }

  std::uint32_t create_swarm(const sha1_hash& h) {
    std::uint32_t t;
    if (free_swarms.empty()) {
      t = static_cast<std::uint32_t>(swarms.size());
      swarms.emplace_back();
    } else {
      t = free_swarms.back();
      free_swarms.pop_back();
    }
    swarms[t].hash = h;
    torrent_index.emplace(h, t);
    return t;
  }

  // Rule 8: a torrent without peers is forgotten, its memory released.
  void drop_if_empty(std::uint32_t t) {
    if (swarms[t].size() > 0) return;
    torrent_index.erase(swarms[t].hash);
    swarms[t] = swarm{};
    free_swarms.push_back(t);
  }

  void remove_peer(std::uint32_t t, std::uint32_t slot) {
    swarms[t].remove_slot(slot);
    --peers;
    if (expiry.size() > 2 * peers + stale_entry_slack) compact_expiry();
  }

  void compact_expiry() {
    std::vector<expiry_entry> live;
    live.reserve(peers);
    for (const expiry_entry& e : entries_of(expiry))
      if (occupant_of(e)) live.push_back(e);
    expiry = expiry_heap(std::greater<>(), std::move(live));
  }

  // Records the announce of a peer that stays; returns its slot.
  std::uint32_t update_peer(std::uint32_t t, const announce_request& request, time_point now) {
    swarm& s = swarms[t];
    bool added = false;
    const std::uint32_t slot = s.find_or_add(request.peer, added);
    swarm::member& m = s.slots[slot];
    if (added) {
      m.occupant = next_occupant++;
      ++peers;
      expiry.push({now, t, slot, m.occupant});
    } else if (m.info.left == 0) {
      --s.complete;
    }
    m.info.address = request.address;
    s.listed[s.pos[slot]].address = request.address;
    m.info.uploaded = request.uploaded;
    m.info.downloaded = request.downloaded;
    m.info.left = request.left;
    m.info.last_announce = now;
    if (request.left == 0) ++s.complete;
    if (request.event == announce_event::completed && !m.counted_completion) {
      m.counted_completion = true;
      ++s.downloaded;
    }
    return slot;
  }

  // Up to `k` distinct random peers other than `asker`: a partial Fisher-Yates
  // shuffle of the swarm's `order` (which carries no meaning), O(k).
  std::vector<peer_entry> select(swarm& s, std::uint32_t asker, std::uint32_t k) {
    s.swap_order(s.pos[asker], s.size() - 1);
    const std::uint32_t n = s.size() - 1;
    k = std::min(k, n);
    std::vector<peer_entry> out;
    out.reserve(k);
    for (std::uint32_t i = 0; i < k; ++i) {
      s.swap_order(i, std::uniform_int_distribution<std::uint32_t>(i, n - 1)(random));
      out.push_back(s.listed[i]);
    }
    return out;
  }

  void check_torrents() const;
  void check_expiry() const;
};

std::string_view to_string(announce_refusal r) {
  switch (r) {
    case announce_refusal::unlisted_torrent:
      return "unregistered torrent: this tracker serves only the torrents it was given";
    case announce_refusal::torrent_limit:
      return "tracker full: it tracks as many torrents as it allows, try again later";
  }
  return "refused";
}

tracker::tracker(tracker_options options, std::uint64_t seed)
    : impl_(std::make_unique<impl>(std::move(options), seed)) {}
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
  const auto refuse = [&](announce_refusal why) {
    response.refusal = why;
    response.failure = std::string(to_string(why));
    return response;
  };
  if (!d.admits(request.info_hash)) return refuse(announce_refusal::unlisted_torrent);

  std::uint32_t torrent;
  if (auto found = d.torrent_index.find(request.info_hash); found != d.torrent_index.end()) {
    torrent = found->second;
  } else {
    if (request.event == announce_event::stopped) return response;
    if (d.torrent_index.size() >= d.options.max_torrents)
      return refuse(announce_refusal::torrent_limit);
    torrent = d.create_swarm(request.info_hash);
  }
  swarm& s = d.swarms[torrent];

  if (request.event == announce_event::stopped) {
    if (auto it = s.index.find(request.peer); it != s.index.end())
      d.remove_peer(torrent, it->second);
  } else {
    const std::uint32_t slot = d.update_peer(torrent, request, now);
    const auto numwant =
        std::min(request.numwant.value_or(d.options.default_numwant), d.options.max_numwant);
    response.peers = d.select(s, slot, numwant);
  }
  response.complete = s.complete;
  response.incomplete = s.size() - s.complete;
  d.drop_if_empty(torrent);
  return response;
}

std::optional<scrape_entry> tracker::scrape(const sha1_hash& info_hash) const {
  auto found = impl_->torrent_index.find(info_hash);
  if (found == impl_->torrent_index.end()) return std::nullopt;
  const swarm& s = impl_->swarms[found->second];
  return scrape_entry{s.complete, s.size() - s.complete, s.downloaded};
}

std::vector<sha1_hash> tracker::torrents(std::size_t limit) const {
  std::vector<sha1_hash> out;
  out.reserve(std::min(limit, impl_->torrent_index.size()));
  for (auto it = impl_->torrent_index.begin();
       it != impl_->torrent_index.end() && out.size() < limit; ++it)
    out.push_back(it->first);
  return out;
}

std::size_t tracker::torrent_count() const {
  return impl_->torrent_index.size();
}

std::size_t tracker::peer_count() const {
  return impl_->peers;
}

std::vector<tracked_peer> tracker::peers(const sha1_hash& info_hash, std::size_t limit) const {
  std::vector<tracked_peer> out;
  auto found = impl_->torrent_index.find(info_hash);
  if (found == impl_->torrent_index.end()) return out;
  const swarm& s = impl_->swarms[found->second];
  const std::size_t n = std::min<std::size_t>(limit, s.size());
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(s.slots[s.order[i]].info);
  return out;
}

void tracker::impl::check_torrents() const {
  require(torrent_index.size() + free_swarms.size() == swarms.size(),
          "tracker: {} torrents indexed and {} free, of {} swarms", torrent_index.size(),
          free_swarms.size(), swarms.size());
  require(torrent_index.size() <= options.max_torrents,
          "tracker invariant 10: {} torrents tracked, at most {} allowed", torrent_index.size(),
          options.max_torrents);
  std::vector<std::uint8_t> seen(swarms.size(), 0);
  std::size_t total = 0;
  for (const auto& [hash, t] : torrent_index) {
    require(t < swarms.size() && !seen[t] && swarms[t].hash == hash,
            "tracker: swarm {} indexed twice, out of range or under another hash", t);
    seen[t] = 1;
    require(swarms[t].size() > 0, "tracker invariant 8: torrent {} is tracked with no peers",
            to_hex(hash));
    require(admits(hash), "tracker invariant 9: torrent {} is tracked but not allowed",
            to_hex(hash));
    check_swarm(swarms[t], t);
    total += swarms[t].size();
  }
  for (const std::uint32_t t : free_swarms) {
    require(t < swarms.size() && !seen[t] && swarms[t].slots.empty(),
            "tracker invariant 8: free swarm {} is tracked, listed twice or holds slots", t);
    seen[t] = 2;
  }
  require(total == peers, "tracker: {} peers counted, {} in the swarms", peers, total);
}

void tracker::impl::check_expiry() const {
  const auto& heap = entries_of(expiry);
  require(std::is_heap(heap.begin(), heap.end(), std::greater<>()),
          "tracker invariant 7: the expiry entries are not a min-heap");
  require(heap.size() <= 2 * peers + stale_entry_slack,
          "tracker invariant 7: {} expiry entries for {} peers", heap.size(), peers);
  std::map<std::uint64_t, std::size_t> live;  // occupant -> entries
  for (const expiry_entry& e : heap) {
    const swarm::member* m = occupant_of(e);
    if (!m) continue;
    ++live[e.occupant];
    require(e.stamp <= m->info.last_announce,
            "tracker invariant 7: torrent {} slot {} has an entry stamped after its last announce",
            e.torrent, e.slot);
  }
  require(live.size() == peers &&
              std::all_of(live.begin(), live.end(), [](const auto& kv) { return kv.second == 1; }),
          "tracker invariant 7: {} of {} peers have exactly one live expiry entry", live.size(),
          peers);
}

void tracker::check_invariants() const {
  impl_->check_torrents();
  impl_->check_expiry();
}

std::optional<time_point> tracker::next_deadline() const {
  impl_->refresh_top();
  if (impl_->expiry.empty()) return std::nullopt;
  return impl_->expiry.top().stamp + impl_->options.expire_after;
}

std::size_t tracker::on_deadline(time_point now) {
  auto& d = *impl_;
  std::size_t removed = 0;
  for (;;) {
    d.refresh_top();
    if (d.expiry.empty() || d.expiry.top().stamp + d.options.expire_after > now) break;
    const expiry_entry e = d.expiry.top();
    d.expiry.pop();
    d.remove_peer(e.torrent, e.slot);
    d.drop_if_empty(e.torrent);
    ++removed;
  }
  return removed;
}

}  // namespace swarmsim::protocol
