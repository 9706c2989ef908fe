// The tracker: its logic alone (protocol::tracker, what the simulator and the
// HTTP tracker both run) and the HTTP path over loopback (http_tracker on its own
// thread, a blocking client in the benchmark's). Items are announces, so
// items_per_second is announces/s. The HTTP benchmarks also report
// tracker_cpu_us: CPU time of the tracker's thread per announce (parsing,
// logic, encoding and the socket calls; not the client's).
//
// Counters:
//   bytes_per_peer   heap bytes the logic holds per tracked peer (mallinfo2)

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <pthread.h>
#include <time.h>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "protocol/tracker.hpp"
#include "sim/real/tracker/announce_request.hpp"
#include "sim/real/tracker/http_tracker.hpp"

namespace {

using namespace swarmsim;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

protocol::sha1_hash torrent(std::uint32_t n) {
  protocol::sha1_hash h{};
  for (int i = 0; i < 4; ++i)
    h[i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
  h[19] = 0x5a;
  return h;
}

protocol::wire_peer_id peer(std::uint32_t n) {
  protocol::wire_peer_id id{};
  const auto text = fmt::format("-BM0001-{:012}", n);
  std::copy(text.begin(), text.end(), id.begin());
  return id;
}

protocol::announce_request request(std::uint32_t t, std::uint32_t p) {
  protocol::announce_request r;
  r.info_hash = torrent(t);
  r.peer = peer(p);
  r.address = {0x0a000000u + p, 6881};
  r.left = p % 4 == 0 ? 0 : 1000;
  return r;
}

// range(0): torrents; range(1): peers per torrent. Re-announces of random known
// peers asking for the default 50 peers, the steady state of a busy tracker.
void BM_tracker_announce(benchmark::State& state) {
  const auto torrents = static_cast<std::uint32_t>(state.range(0));
  const auto per_torrent = static_cast<std::uint32_t>(state.range(1));
  protocol::tracker tr({}, 1);
  protocol::time_point now = protocol::time_origin;
  const auto heap_before = mallinfo2().uordblks;
  for (std::uint32_t t = 0; t < torrents; ++t)
    for (std::uint32_t p = 0; p < per_torrent; ++p)
      tr.announce(request(t, p), now);
  const auto heap_after = mallinfo2().uordblks;
  std::mt19937_64 rng(7);
  std::vector<protocol::announce_request> asks;
  for (int i = 0; i < 4096; ++i)
    asks.push_back(request(static_cast<std::uint32_t>(rng() % torrents),
                           static_cast<std::uint32_t>(rng() % per_torrent)));
  std::size_t i = 0;
  std::size_t listed = 0;
  for (auto _ : state) {
    now += std::chrono::microseconds(100);
    const auto r = tr.announce(asks[i++ % asks.size()], now);
    listed += r.peers.size();
    benchmark::DoNotOptimize(r.peers.data());
  }
  if (tr.peer_count() != std::size_t{torrents} * per_torrent || listed == 0)
    return bench::fail(state, "the swarms did not keep their peers");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["bytes_per_peer"] =
      static_cast<double>(heap_after - heap_before) / (double(torrents) * per_torrent);
}

// A peer joins a torrent nobody else has and leaves: the made-up-torrent load.
void BM_tracker_new_torrent(benchmark::State& state) {
  protocol::tracker tr({}, 1);
  std::uint32_t t = 0;
  for (auto _ : state) {
    auto r = request(t++, 1);
    tr.announce(r, protocol::time_origin);
    r.event = protocol::announce_event::stopped;
    tr.announce(r, protocol::time_origin);
  }
  if (tr.torrent_count() != 0) return bench::fail(state, "empty torrents were kept");
  state.SetItemsProcessed(2 * static_cast<std::int64_t>(state.iterations()));
}

double thread_cpu_seconds(pthread_t thread) {
  clockid_t id;
  timespec ts{};
  if (pthread_getcpuclockid(thread, &id) != 0 || clock_gettime(id, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// An http_tracker on 127.0.0.1 run by its own thread.
class tracker_thread {
 public:
  tracker_thread()
      : tracker_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        thread_([this] { io_.run(); }) {}
  ~tracker_thread() {
    asio::post(io_, [this] { tracker_.stop(); });
    thread_.join();
  }
  std::uint16_t port() const { return tracker_.port(); }
  double cpu_seconds() { return thread_cpu_seconds(thread_.native_handle()); }

 private:
  asio::io_context io_;
  sim::real::http_tracker tracker_;
  std::thread thread_;
};

std::string target(std::uint32_t t, std::uint32_t p) {
  const auto h = torrent(t);
  return fmt::format(
      "/announce?info_hash={}&peer_id=-BM0001-{:012}&port={}&uploaded=0&downloaded=0&left={}"
      "&compact=1&numwant=50",
      sim::real::percent_encode(std::span<const std::uint8_t>(h)), p, 6881 + p % 1000,
      p % 4 == 0 ? 0 : 1000);
}

// range(0): 1 keeps one connection for every announce (as wrk does), 0 opens a
// connection per announce (as BitTorrent clients do). 10 torrents x 100 peers.
void BM_tracker_http_announce(benchmark::State& state) {
  const bool keep_alive = state.range(0) == 1;
  tracker_thread server;
  std::vector<std::string> targets;
  for (std::uint32_t i = 0; i < 1000; ++i)
    targets.push_back(target(i % 10, i));
  asio::io_context io;
  tcp::socket socket(io);
  beast::flat_buffer buffer;
  const tcp::endpoint at(asio::ip::address_v4::loopback(), server.port());
  std::size_t i = 0, failed = 0;
  const double cpu_before = server.cpu_seconds();
  for (auto _ : state) {
    if (!keep_alive || !socket.is_open()) socket.connect(at);
    http::request<http::empty_body> req{http::verb::get, targets[i++ % targets.size()], 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    http::write(socket, req);
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    failed += res.result_int() != 200 || res.body().find("failure") != std::string::npos;
    if (!keep_alive) {
      beast::error_code ec;
      socket.close(ec);
    }
  }
  const double cpu = server.cpu_seconds() - cpu_before;
  if (failed > 0) return bench::fail(state, fmt::format("{} announces failed", failed));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["tracker_cpu_us"] = cpu * 1e6 / static_cast<double>(state.iterations());
}

void register_benchmarks(bool smoke) {
  auto* announce = benchmark::RegisterBenchmark("BM_tracker_announce", BM_tracker_announce)
                       ->ArgNames({"torrents", "peers"});
  if (smoke)
    announce->Args({2, 50});
  else
    announce->Args({1, 1000})->Args({100, 1000})->Args({10000, 10})->Args({1, 100000});
  auto* fresh = benchmark::RegisterBenchmark("BM_tracker_new_torrent", BM_tracker_new_torrent);
  auto* http_path =
      benchmark::RegisterBenchmark("BM_tracker_http_announce", BM_tracker_http_announce)
          ->ArgName("keep_alive")
          ->Arg(1)
          ->Arg(0)
          ->UseRealTime();
  if (smoke) {
    for (auto* b : {announce, fresh, http_path})
      b->MinTime(bench::smoke_min_time);
  }
}

}  // namespace

int main(int argc, char** argv) {
  return swarmsim::bench::run_main(argc, argv, register_benchmarks);
}
