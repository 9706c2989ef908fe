#include "sim/real/tracker/tracker_session.hpp"

namespace swarmsim::sim::real {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// An error found before a request could be read whole: the connection closes.
tracker_reply early_error(http::status status, std::string_view text) {
  return make_reply(status, 11, false, "text/plain", std::string(text) + "\n");
}

}  // namespace

tracker_reply make_reply(http::status status, unsigned version, bool keep_alive,
                         std::string_view content_type, std::shared_ptr<const std::string> body) {
  tracker_reply r;
  r.message.result(status);
  r.message.version(version);
  r.message.set(http::field::server, "swarmsim");
  r.message.set(http::field::content_type,
                beast::string_view(content_type.data(), content_type.size()));
  r.message.keep_alive(keep_alive);
  r.message.body() = beast::span<const char>(body->data(), body->size());
  r.message.prepare_payload();
  r.body = std::move(body);
  return r;
}

tracker_reply make_reply(http::status status, unsigned version, bool keep_alive,
                         std::string_view content_type, std::string body) {
  return make_reply(status, version, keep_alive, content_type,
                    std::make_shared<const std::string>(std::move(body)));
}

tracker_session::tracker_session(tcp::socket socket, const tcp::endpoint& remote,
                                 std::shared_ptr<session_owner> owner, std::uint64_t id,
                                 const session_limits& limits)
    : socket_(std::move(socket)),
      buffer_(std::size_t{limits.max_header_bytes} + limits.max_body_bytes + 4096),
      owner_(std::move(owner)),
      id_(id),
      limits_(limits),
      remote_(remote) {}

tracker_session::~tracker_session() {
  owner_->closed(id_);
}

void tracker_session::close() {
  beast::error_code ec;
  socket_.close(ec);
}

void tracker_session::read() {
  if (owner_->stopped()) return;
  parser_.emplace();
  parser_->header_limit(limits_.max_header_bytes);
  parser_->body_limit(limits_.max_body_bytes);
  deadline_ = std::chrono::steady_clock::now() + limits_.header_timeout;
  owner_->waiting(id_);
  http::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void tracker_session::on_read(beast::error_code ec) {
  if (owner_->stopped() || ec == asio::error::operation_aborted) return;
  owner_->busy(id_);
  if (ec == http::error::end_of_stream) {
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    return;
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    write(early_error(http::status::request_header_fields_too_large, "request too large"), true);
    return;
  }
  if (ec == http::error::body_limit) {
    write(early_error(http::status::payload_too_large, "request body too large"), true);
    return;
  }
  if (ec && ec.category() == beast::error_code(http::error::bad_target).category()) {
    write(early_error(http::status::bad_request, "bad request"), true);
    return;
  }
  if (ec) return;  // a socket error: the socket closes with the session
  const tracker_request& req = parser_->get();
  const bool keep_alive = req.keep_alive();
  write(owner_->answer(req, remote_), !keep_alive);
}

void tracker_session::write(tracker_reply reply, bool close_after) {
  reply_ = std::move(reply);
  if (close_after) reply_.message.keep_alive(false);
  deadline_ = std::chrono::steady_clock::now() + limits_.write_timeout;
  http::async_write(socket_, reply_.message,
                    [self = shared_from_this(), close_after](beast::error_code ec, std::size_t) {
                      self->on_write(ec, close_after);
                    });
}

// After the last answer of a connection the socket just closes with the session:
// the kernel sends what is queued, then FIN. An early error answer may leave
// request bytes unread, and closing then would reset the connection and could
// lose the answer; that case shuts down the sending side first.
void tracker_session::on_write(beast::error_code ec, bool close_after) {
  if (ec || owner_->stopped()) return;
  if (close_after) {
    if (reply_.message.result() != http::status::ok)
      socket_.shutdown(tcp::socket::shutdown_send, ec);
    return;
  }
  read();
}

}  // namespace swarmsim::sim::real
