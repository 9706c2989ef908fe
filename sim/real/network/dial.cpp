#include "sim/real/network/dial.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

#include <utility>

namespace swarmsim::sim::real {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

dial::dial(asio::io_context& io, protocol::endpoint remote,
           std::optional<protocol::mse_handshake> exchange, bool retry_in_plaintext,
           std::chrono::milliseconds timeout, callback done)
    : socket_(io),
      timer_(io),
      remote_(remote),
      exchange_(std::move(exchange)),
      retry_in_plaintext_(retry_in_plaintext),
      timeout_(timeout),
      done_(std::move(done)) {}

void dial::start() {
  connect();
}

void dial::cancel() {
  finished_ = true;
  done_ = nullptr;
  boost::system::error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
}

void dial::connect() {
  const unsigned a = ++attempt_;
  timer_.expires_after(timeout_);
  timer_.async_wait([self = shared_from_this(), a](const boost::system::error_code& ec) {
    boost::system::error_code ignored;
    // Closing makes the pending connect, read or write fail: that handler decides.
    if (!ec && a == self->attempt_ && !self->finished_) self->socket_.close(ignored);
  });
  const tcp::endpoint target(asio::ip::address_v4(remote_.address), remote_.port);
  socket_.async_connect(target,
                        [self = shared_from_this(), a](const boost::system::error_code& ec) {
                          if (a == self->attempt_) self->on_connected(ec);
                        });
}

void dial::on_connected(const boost::system::error_code& ec) {
  if (finished_) return;
  if (ec || !socket_.is_open()) {
    finish(std::nullopt);  // nobody there: no reason to try plaintext
    return;
  }
  if (!exchange_) {
    succeed(transport{});
    return;
  }
  pending_ = exchange_->take_output();
  write_pending();
  read();
}

void dial::write_pending() {
  if (!writing_.empty() || pending_.empty()) return;
  writing_.swap(pending_);
  asio::async_write(
      socket_, asio::buffer(writing_),
      [self = shared_from_this(), a = attempt_](const boost::system::error_code& ec, std::size_t) {
        if (self->finished_ || a != self->attempt_) return;
        self->writing_.clear();
        if (ec) {
          self->attempt_failed();
        } else if (self->ready_ && self->pending_.empty()) {
          auto stream = std::move(*self->ready_);
          self->succeed(std::move(stream));
        } else {
          self->write_pending();
        }
      });
}

void dial::read() {
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this(), a = attempt_](
                              const boost::system::error_code& ec, std::size_t n) {
                            if (a == self->attempt_) self->on_read(ec, n);
                          });
}

void dial::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (finished_ || ready_) return;
  if (ec) {
    attempt_failed();
    return;
  }
  exchange_->feed(std::span(read_buffer_).first(n));
  if (exchange_->failed()) {
    attempt_failed();
    return;
  }
  auto out = exchange_->take_output();
  pending_.insert(pending_.end(), out.begin(), out.end());
  write_pending();
  if (!exchange_->done()) {
    read();
    return;
  }
  auto r = exchange_->take_result();
  transport stream{std::nullopt, std::move(r.encryptor), std::move(r.decryptor),
                   std::move(r.payload)};
  if (writing_.empty())
    succeed(std::move(stream));
  else
    ready_ = std::move(stream);  // handed over once the last write is done (invariant 3)
}

void dial::attempt_failed() {
  if (finished_) return;
  if (!exchange_ || !retry_in_plaintext_) {
    finish(std::nullopt);
    return;
  }
  // A remote that does not speak MSE hangs up on it: connect again in plaintext.
  exchange_.reset();
  pending_.clear();
  writing_.clear();
  boost::system::error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
  socket_ = tcp::socket(timer_.get_executor());
  connect();
}

void dial::succeed(transport stream) {
  finish(dialed{std::move(socket_), std::move(stream)});
}

void dial::finish(std::optional<dialed> result) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(*this, std::move(result));
}

}  // namespace swarmsim::sim::real
