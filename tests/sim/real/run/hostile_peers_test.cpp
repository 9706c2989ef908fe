// Attacks on a real-socket download over loopback, each timed against the same
// download unattacked: a peer that answers requests with garbage and sends
// blocks nobody asked for, beside an honest seed; and a seed's slots and
// connections taken by peers that declare interest and never request, plus
// thousands of connections that never handshake.

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <chrono>
#include <random>

#include "protocol/wire_codec.hpp"
#include "sim/real/swarm_fixture.hpp"

namespace swarmsim::sim::real {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using testing::loopback_swarm;
using testing::node;
using testing::run_until;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

// One raw BEP 3 connection driven by the test: reads and decodes what the
// other side sends, writes what it is told, in order.
class raw_peer : public std::enable_shared_from_this<raw_peer> {
 public:
  using on_message = std::function<void(raw_peer&, protocol::message&)>;
  raw_peer(tcp::socket s, std::uint32_t num_pieces, on_message handler)
      : socket_(std::move(s)), decoder_(num_pieces), handler_(std::move(handler)) {}

  void start() { read(); }
  void send(const protocol::message& m) {
    const bool idle = out_.empty() && writing_.empty();
    protocol::encode(m, out_);
    if (idle) write();
  }
  bool closed() const { return closed_; }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](auto ec, auto n) {
      if (ec) {
        self->closed_ = true;
        return;
      }
      self->decoder_.feed(std::span(self->buffer_).first(n));
      auto r = self->decoder_.next();
      for (; r.has_message(); r = self->decoder_.next())
        self->handler_(*self, r.get());
      if (r.has_error()) {  // a plaintext-only client hangs up, e.g. on MSE
        self->closed_ = true;
        boost::system::error_code ignored;
        self->socket_.close(ignored);
        return;
      }
      self->read();
    });
  }
  void write() {
    writing_.swap(out_);
    asio::async_write(socket_, asio::buffer(writing_), [self = shared_from_this()](auto ec, auto) {
      self->writing_.clear();
      if (!ec && !self->out_.empty()) self->write();
    });
  }

  tcp::socket socket_;
  protocol::decoder decoder_;
  on_message handler_;
  std::array<std::uint8_t, 65536> buffer_{};
  std::vector<std::uint8_t> out_, writing_;
  bool closed_ = false;
};

// Listens, is announced to the tracker, and answers every connection as a seed
// that lies: every requested block is random bytes, and every request also
// brings a random block nobody asked for.
class liar {
 public:
  liar(asio::io_context& io, const protocol::metainfo& meta)
      : acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)), meta_(meta) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::uint64_t garbage_sent = 0;

 private:
  void accept() {
    acceptor_.async_accept([this](auto ec, tcp::socket s) {
      if (ec) return;
      auto p = std::make_shared<raw_peer>(
          std::move(s), meta_.num_pieces(),
          [this](raw_peer& self, protocol::message& m) { answer(self, m); });
      p->start();
      peers_.push_back(p);
      accept();
    });
  }
  void answer(raw_peer& self, const protocol::message& m) {
    if (std::holds_alternative<protocol::msg::handshake>(m)) {
      protocol::wire_peer_id id{};
      id.fill('L');
      self.send(protocol::msg::handshake{meta_.info_hash, id, {}});
      self.send(protocol::msg::bitfield{protocol::bitfield(meta_.num_pieces(), true)});
      self.send(protocol::msg::unchoke{});
    } else if (const auto* r = std::get_if<protocol::msg::request>(&m)) {
      self.send(garbage(r->index, r->begin, r->length));
      const auto geometry = meta_.geometry();
      const protocol::piece_index p{static_cast<std::uint32_t>(random_() % meta_.num_pieces())};
      self.send(garbage(p, 0, geometry.block_length({p, protocol::block_index{0}})));
    }
  }
  protocol::msg::piece garbage(protocol::piece_index p, std::uint32_t begin, std::uint32_t n) {
    protocol::msg::piece out{p, begin, n, std::vector<std::uint8_t>(n)};
    for (auto& b : out.data)
      b = static_cast<std::uint8_t>(random_());
    garbage_sent += n;
    return out;
  }

  tcp::acceptor acceptor_;
  const protocol::metainfo& meta_;
  std::mt19937_64 random_{7};
  std::vector<std::shared_ptr<raw_peer>> peers_;
};

class hostile_peers : public loopback_swarm {
 protected:
  // The leecher's download time from `seed_node`, or a test failure.
  double timed_download(const std::string& name, std::function<bool()> also = {}) {
    const auto start = clock_type::now();
    node& leecher = add_leecher(options(), name);
    const bool done = run_until(
        io_, [&] { return leecher.status().complete || (also && !also()); },
        std::chrono::seconds(120));
    EXPECT_TRUE(done && leecher.status().complete) << name << " did not finish";
    expect_same_content(leecher);
    return seconds_since(start);
  }
};

TEST_F(hostile_peers, a_garbage_sending_peer_does_not_get_the_honest_seed_dropped) {
  make_content({3'000'000}, 32768);
  node& seed = add_seed(options(1e6));
  wait_announced({&seed});
  const double unattacked = timed_download("alone");
  nodes_.pop_back();

  liar bad(io_, meta_);
  protocol::announce_request r;
  r.info_hash = meta_.info_hash;
  r.peer.fill('L');
  r.address.port = bad.port();
  r.event = protocol::announce_event::started;
  bool announced = false;
  client_->announce(r, [&](auto) { announced = true; });
  ASSERT_TRUE(run_until(io_, [&] { return announced; }));
  // The honest seed keeps its connection to the leecher all along.
  bool seed_connected = false, seed_dropped = false;
  const auto watch = [&] {
    const bool now = seed.status().connections > 0;
    seed_dropped = seed_dropped || (seed_connected && !now);
    seed_connected = seed_connected || now;
    return true;
  };
  const double attacked = timed_download("beside-a-liar", watch);
  EXPECT_GT(bad.garbage_sent, 0u) << "the liar was never asked";
  EXPECT_FALSE(seed_dropped) << "the honest seed lost its connection";
  EXPECT_LE(attacked, 2 * unattacked + 1.0)
      << "unattacked " << unattacked << " s, beside the liar " << attacked << " s";
  const auto st = nodes_.back().status();
  EXPECT_GE(st.hash_failures, 1u);
  std::cout << "[ attack ] beside a liar: " << attacked << " s (unattacked " << unattacked
            << " s), " << st.hash_failures << " pieces failed, " << st.wasted << " bytes wasted\n";
}

// Opens `n` connections to `port` from `source` (another loopback address),
// each sending a handshake and INTERESTED, then nothing (idle) or nothing at
// all (raw).
std::vector<std::shared_ptr<raw_peer>> crowd(asio::io_context& io, const protocol::metainfo& meta,
                                             const char* source, std::uint16_t port, int n,
                                             bool handshake) {
  std::vector<std::shared_ptr<raw_peer>> out;
  for (int i = 0; i < n; ++i) {
    tcp::socket s(io);
    boost::system::error_code ec;
    s.open(tcp::v4(), ec);
    if (!ec) s.bind(tcp::endpoint(asio::ip::make_address(source), 0), ec);
    if (!ec) s.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), ec);
    if (ec) continue;  // refused or out of descriptors: fewer attackers
    auto p = std::make_shared<raw_peer>(std::move(s), meta.num_pieces(),
                                        [](raw_peer&, protocol::message&) {});
    p->start();
    if (handshake) {
      protocol::wire_peer_id id{};
      id.fill('I');
      id[0] = static_cast<std::uint8_t>(i);
      id[1] = static_cast<std::uint8_t>(i >> 8);
      p->send(protocol::msg::handshake{meta.info_hash, id, {}});
      p->send(protocol::msg::interested{});
    }
    out.push_back(std::move(p));
  }
  return out;
}

class idle_crowd : public hostile_peers, public ::testing::WithParamInterface<int> {};

TEST_P(idle_crowd, a_legitimate_download_finishes_within_twice_its_unattacked_time) {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  const int raw = static_cast<int>(std::min<rlim_t>(2000, files.rlim_cur / 2));

  make_content({4'000'000}, 32768);
  auto o = options(1e6);
  o.peer.choker.rechoke_interval = std::chrono::seconds(1);
  o.peer.choker.optimistic_interval = std::chrono::seconds(3);
  o.peer.max_initiate = 0;
  node& seed = add_seed(o);
  wait_announced({&seed});
  const double unattacked = timed_download("alone");
  nodes_.pop_back();

  const std::uint16_t port = seed.host->port();
  auto idle = crowd(io_, meta_, "127.0.0.2", port, GetParam(), true);
  auto never = crowd(io_, meta_, "127.0.0.3", port, raw, false);
  run_until(
      io_, [] { return false; }, std::chrono::milliseconds(300));
  const double attacked = timed_download("in-a-crowd");
  EXPECT_LE(attacked, 2 * unattacked + 1.0)
      << "unattacked " << unattacked << " s, with " << GetParam() << " idle peers and " << raw
      << " silent connections " << attacked << " s";
  std::cout << "[ attack ] " << GetParam() << " idle peers, " << raw
            << " silent connections: " << attacked << " s (unattacked " << unattacked << " s)\n";
}

INSTANTIATE_TEST_SUITE_P(crowds, idle_crowd, ::testing::Values(8, 60));

}  // namespace
}  // namespace swarmsim::sim::real
