#pragma once
// The HTTP tracker's open connections, for admission: which new connection to
// refuse and which open one to evict so that one slow client cannot lock the
// others out (slowloris). Bookkeeping over ids and addresses only, no sockets.
// Invariants:
// 1. At most limits.total connections are held, at most limits.per_address from
//    one address (an IPv4-mapped IPv6 address counts as its IPv4 address).
// 2. A connection is waiting from waiting() to busy() or its removal: it is
//    reading a request (an idle keep-alive connection waits too). The waiting
//    ones are kept in the order they started waiting.
// 3. admit() refuses a connection whose address holds per_address already.
//    Otherwise, when the table is full, it evicts the connection that has waited
//    longest and admits the new one; when nothing waits (all are answering), it
//    refuses the new one.
// 4. An evicted or removed id is forgotten: remove() of it again does nothing.

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>

namespace swarmsim::sim::real {

class connection_table {
 public:
  using id = std::uint64_t;
  struct limits {
    std::size_t total = 512;
    std::size_t per_address = 512;
  };
  enum class verdict : std::uint8_t { admitted, refused_address_full, refused_table_full };
  struct admission {
    verdict outcome = verdict::admitted;
    id admitted = 0;            // with verdict::admitted
    std::optional<id> evicted;  // close this one: it made room
  };

  explicit connection_table(limits l);

  admission admit(const boost::asio::ip::address& from);
  void waiting(id c);
  void busy(id c);
  void remove(id c);

  std::size_t size() const { return entries_.size(); }
  std::size_t waiting_count() const { return waiting_.size(); }
  std::size_t from(const boost::asio::ip::address& a) const;

 private:
  using address_key = boost::asio::ip::address_v6::bytes_type;
  struct entry {
    address_key from{};
    std::optional<std::list<id>::iterator> in_waiting;
  };
  static address_key key_of(const boost::asio::ip::address& a);

  limits limits_;
  id next_ = 0;
  std::unordered_map<id, entry> entries_;
  std::list<id> waiting_;  // oldest first
  std::map<address_key, std::size_t> per_address_;
};

}  // namespace swarmsim::sim::real
