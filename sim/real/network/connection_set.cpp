#include "sim/real/network/connection_set.hpp"

#include <boost/asio/error.hpp>

namespace swarmsim::sim::real {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr auto accept_pause = std::chrono::milliseconds(100);
}  // namespace

std::optional<protocol::endpoint> to_protocol_endpoint(const tcp::endpoint& e) {
  auto a = e.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  if (!a.is_v4()) return std::nullopt;
  return protocol::endpoint{a.to_v4().to_uint(), e.port()};
}

connection_set::connection_set(asio::io_context& io, const tcp::endpoint& listen,
                               std::uint32_t num_pieces, token_bucket* upload,
                               token_bucket* download, std::chrono::milliseconds connect_timeout,
                               encryption_setup encryption)
    : io_(io),
      acceptor_(io),
      accept_timer_(io),
      num_pieces_(num_pieces),
      upload_(upload),
      download_(download),
      connect_timeout_(connect_timeout),
      encryption_(encryption),
      random_(encryption.seed) {
  acceptor_.open(listen.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(listen);
  acceptor_.listen();
}

connection_set::~connection_set() {
  close_all();
}

tcp::endpoint connection_set::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void connection_set::start(connection_events& events) {
  events_ = &events;
  accept();
}

void connection_set::accept() {
  acceptor_.async_accept(
      [this, alive = alive_](const boost::system::error_code& ec, tcp::socket socket) {
        if (!*alive || ec == asio::error::operation_aborted) return;
        if (ec) {  // e.g. out of descriptors: pause instead of spinning
          accept_timer_.expires_after(accept_pause);
          accept_timer_.async_wait([this, alive](const boost::system::error_code& e) {
            if (!e && *alive) accept();
          });
          return;
        }
        boost::system::error_code rec;
        const auto remote = socket.remote_endpoint(rec);
        const auto e = rec ? std::nullopt : to_protocol_endpoint(remote);
        const auto c = e ? events_->on_inbound(*e) : std::nullopt;
        if (c) {
          transport stream;
          if (encryption_.policy != protocol::encryption_policy::disabled)
            stream.responder = protocol::mse_handshake::responder(
                {encryption_.info_hash}, encryption_.policy, protocol::rng(random_()));
          attach(*c, std::move(socket), std::move(stream));
        } else {
          socket.close(rec);
        }
        events_->settle();
        if (*alive) accept();
      });
}

void connection_set::connect(protocol::endpoint remote) {
  const auto policy = encryption_.policy;
  std::optional<protocol::mse_handshake> exchange;
  if (policy != protocol::encryption_policy::disabled)
    exchange =
        protocol::mse_handshake::initiator(encryption_.info_hash, policy, protocol::rng(random_()));
  auto done = [this, alive = alive_](const dial& self, std::optional<dialed> result) {
    if (!*alive) return;
    connecting_.remove_if([&](const auto& d) { return d.get() == &self; });
    const auto c = events_->on_outbound(self.remote(), result.has_value());
    if (c && result) attach(*c, std::move(result->socket), std::move(result->stream));
    events_->settle();
  };
  auto d =
      std::make_shared<dial>(io_, remote, std::move(exchange), protocol::retry_in_plaintext(policy),
                             connect_timeout_, std::move(done));
  connecting_.push_back(d);
  d->start();
}

void connection_set::attach(protocol::connection_id c, tcp::socket socket, transport stream) {
  slot& s = slots_[c];
  s.conn = std::make_shared<peer_connection>(std::move(socket), c, num_pieces_, *events_, upload_,
                                             download_, std::move(stream));
  s.conn->start();
}

peer_connection* connection_set::get(protocol::connection_id c) const {
  const auto it = slots_.find(c);
  return it != slots_.end() ? it->second.conn.get() : nullptr;
}

void connection_set::close(protocol::connection_id c) {
  if (auto* conn = get(c)) conn->close();
  release(c);
}

void connection_set::release(protocol::connection_id c) {
  slots_.erase(c);
}

void connection_set::close_all() {
  *alive_ = false;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_timer_.cancel();
  for (auto& d : connecting_)
    d->cancel();
  connecting_.clear();
  for (auto& [id, s] : slots_)
    if (s.conn) s.conn->close();
  slots_.clear();
}

}  // namespace swarmsim::sim::real
