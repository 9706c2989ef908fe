#include "sim/real/tracker/connection_table.hpp"

namespace swarmsim::sim::real {

connection_table::connection_table(limits l) : limits_(l) {}

connection_table::address_key connection_table::key_of(const boost::asio::ip::address& a) {
  if (a.is_v4())
    return boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, a.to_v4()).to_bytes();
  return a.to_v6().to_bytes();
}

std::size_t connection_table::from(const boost::asio::ip::address& a) const {
  const auto it = per_address_.find(key_of(a));
  return it == per_address_.end() ? 0 : it->second;
}

connection_table::admission connection_table::admit(const boost::asio::ip::address& from) {
  admission out;
  const address_key key = key_of(from);
  const auto held = per_address_.find(key);
  if (held != per_address_.end() && held->second >= limits_.per_address) {
    out.outcome = verdict::refused_address_full;
    return out;
  }
  if (entries_.size() >= limits_.total) {
    if (waiting_.empty()) {
      out.outcome = verdict::refused_table_full;
      return out;
    }
    out.evicted = waiting_.front();
    remove(*out.evicted);
  }
  out.admitted = next_++;
  entries_.emplace(out.admitted, entry{key, std::nullopt});
  ++per_address_[key];
  return out;
}

void connection_table::waiting(id c) {
  const auto it = entries_.find(c);
  if (it == entries_.end()) return;
  if (it->second.in_waiting) waiting_.erase(*it->second.in_waiting);
  it->second.in_waiting = waiting_.insert(waiting_.end(), c);
}

void connection_table::busy(id c) {
  const auto it = entries_.find(c);
  if (it == entries_.end() || !it->second.in_waiting) return;
  waiting_.erase(*it->second.in_waiting);
  it->second.in_waiting.reset();
}

void connection_table::remove(id c) {
  const auto it = entries_.find(c);
  if (it == entries_.end()) return;
  if (it->second.in_waiting) waiting_.erase(*it->second.in_waiting);
  const auto count = per_address_.find(it->second.from);
  if (--count->second == 0) per_address_.erase(count);
  entries_.erase(it);
}

}  // namespace swarmsim::sim::real
