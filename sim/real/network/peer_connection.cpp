#include "sim/real/network/peer_connection.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <array>

namespace swarmsim::sim::real {

namespace asio = boost::asio;

peer_connection::peer_connection(asio::ip::tcp::socket socket, protocol::connection_id id,
                                 std::uint32_t num_pieces, connection_owner& owner,
                                 token_bucket* upload, token_bucket* download, transport stream)
    : socket_(std::move(socket)),
      read_timer_(socket_.get_executor()),
      write_timer_(socket_.get_executor()),
      id_(id),
      decoder_(num_pieces),
      owner_(&owner),
      upload_(upload),
      download_(download),
      read_buffer_(read_buffer_size),
      exchange_(std::move(stream.responder)),
      encryptor_(std::move(stream.encryptor)),
      decryptor_(std::move(stream.decryptor)),
      last_received_(clock::now()) {
  if (!stream.received.empty()) decoder_.feed(stream.received);
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

std::optional<peer_connection::clock::time_point> peer_connection::writing_since() const {
  if (!socket_writing_) return std::nullopt;
  return write_started_;
}

asio::ip::tcp::endpoint peer_connection::remote_endpoint() const {
  boost::system::error_code ignored;
  return socket_.remote_endpoint(ignored);
}

void peer_connection::start() {
  decode({});  // what arrived with the end of an outbound exchange
  read_when_allowed();
}

void peer_connection::read_when_allowed() {
  if (!open_) return;
  if (download_ && download_->limited()) {
    const auto now = clock::now();
    const auto at = download_->ready_at(now);
    if (at > now) {
      read_timer_.expires_at(at);
      read_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->read();
      });
      return;
    }
  }
  read();
}

void peer_connection::read() {
  if (!open_) return;
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      std::size_t n) { self->on_read(ec, n); });
}

void peer_connection::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (!open_) return;
  if (ec) {
    if (ec == asio::error::eof)
      fail({close_cause::remote_closed, std::nullopt, std::nullopt, "closed by the remote"});
    else
      fail({close_cause::io_error, std::nullopt, std::nullopt, ec.message()});
    return;
  }
  last_received_ = clock::now();
  bytes_received_ += n;
  if (download_) download_->consume(n, last_received_);
  const std::span<std::uint8_t> bytes(read_buffer_.data(), n);
  if (exchange_) {
    if (!feed_exchange(bytes)) return;
  } else {
    if (decryptor_) decryptor_->apply(bytes);
    decode(bytes);
  }
  read_when_allowed();
}

bool peer_connection::feed_exchange(std::span<const std::uint8_t> bytes) {
  exchange_->feed(bytes);
  if (const auto error = exchange_->error()) {
    fail({close_cause::encryption, std::nullopt, error, std::string(protocol::to_string(*error))});
    return false;
  }
  auto out = exchange_->take_output();
  exchange_out_.insert(exchange_out_.end(), out.begin(), out.end());
  std::vector<std::uint8_t> payload;
  if (exchange_->done()) {
    auto r = exchange_->take_result();
    exchange_.reset();
    encryptor_ = std::move(r.encryptor);
    decryptor_ = std::move(r.decryptor);
    payload = std::move(r.payload);
  }
  if (!writing_) write_next();
  decode(payload);
  return open_;
}

void peer_connection::decode(std::span<const std::uint8_t> bytes) {
  if (!bytes.empty()) decoder_.feed(bytes);
  while (open_) {
    auto r = decoder_.next();
    if (r.needs_more()) break;
    if (r.has_error()) {
      fail({close_cause::undecodable, r.error().code, std::nullopt, r.error().text});
      return;
    }
    owner_->on_wire_message(id_, std::move(r.get()));
  }
}

void peer_connection::send(const protocol::message& m) {
  if (!open_) return;
  protocol::encode(m, queued_);
  if (!writing_) write_next();
}

void peer_connection::upload_ready() {
  if (!open_) return;
  upload_wanted_ = true;
  if (!writing_) write_next();
}

void peer_connection::write_next() {
  writing_ = false;
  if (!open_) return;
  if (!exchange_out_.empty()) {
    in_flight_.clear();
    in_flight_.swap(exchange_out_);
    block_data_.clear();
    write_in_flight();
    return;
  }
  if (exchange_) return;  // messages wait for the exchange (invariant 5)
  if (!queued_.empty()) {
    in_flight_.clear();
    in_flight_.swap(queued_);
    block_data_.clear();
    if (encryptor_) encryptor_->apply(in_flight_);
    write_in_flight();
    return;
  }
  if (!upload_wanted_) return;
  if (upload_ && upload_->limited()) {
    const auto now = clock::now();
    const auto at = upload_->ready_at(now);
    if (at > now) {
      writing_ = true;
      write_timer_.expires_at(at);
      write_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec || !self->open_) return;
        self->writing_ = false;
        if (!self->queued_.empty())
          self->write_next();
        else
          self->pull_block();
      });
      return;
    }
  }
  pull_block();
}

void peer_connection::pull_block() {
  writing_ = true;  // a send() from inside next_block only queues
  auto block = owner_->next_block(id_);
  if (!open_) return;
  if (!block) {
    upload_wanted_ = false;
    write_next();
    return;
  }
  in_flight_.clear();
  in_flight_.swap(queued_);  // anything queued meanwhile goes first
  protocol::encode_header(*block, in_flight_);
  block_data_ = std::move(block->data);
  if (encryptor_) {
    encryptor_->apply(in_flight_);
    encryptor_->apply(block_data_);
  }
  if (upload_) upload_->consume(in_flight_.size() + block_data_.size(), clock::now());
  socket_writing_ = true;
  write_started_ = clock::now();
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(in_flight_),
                                                  asio::buffer(block_data_)};
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const boost::system::error_code& ec,
                                                std::size_t n) { self->on_written(ec, n); });
}

void peer_connection::write_in_flight() {
  writing_ = true;
  socket_writing_ = true;
  write_started_ = clock::now();
  asio::async_write(socket_, asio::buffer(in_flight_),
                    [self = shared_from_this()](const boost::system::error_code& ec,
                                                std::size_t n) { self->on_written(ec, n); });
}

void peer_connection::on_written(const boost::system::error_code& ec, std::size_t n) {
  writing_ = false;
  socket_writing_ = false;
  if (!open_) return;
  if (ec) {
    fail({close_cause::io_error, std::nullopt, std::nullopt, ec.message()});
    return;
  }
  bytes_sent_ += n;
  write_next();
}

void peer_connection::fail(connection_closed why) {
  if (!open_) return;
  connection_owner* owner = owner_;
  close();
  if (owner) owner->on_connection_closed(id_, why);
}

void peer_connection::close() {
  if (!open_) return;
  open_ = false;
  owner_ = nullptr;
  boost::system::error_code ignored;
  read_timer_.cancel();
  write_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace swarmsim::sim::real
