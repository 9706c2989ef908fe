// The simulation engine's own costs: the event queue against its depth, and the
// link model per message.
//
// - BM_event_queue_hold: the queue holds `depth` events; one iteration pops the
//   earliest and pushes one a random delay (up to 100 ms) after it, the steady
//   state of a running simulation (the "hold" model). Time per iteration = one
//   pop + one push.
// - BM_event_queue_fill_drain: `depth` pushes at random times, then `depth` pops.
//   per_event (seconds) = one push + one pop.
// - BM_link_model_block: one 16 KiB PIECE message between two random peers of
//   1000: the sender's uplink transmission time, the latency between their sites
//   and the receiver's downlink queue (sim/engine/link_model.hpp, sim/engine/topology.hpp).
// The events are the swarm driver's own (sim/engine/event.hpp: 32 bytes, so a
// queue entry is 48).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_support.hpp"
#include "protocol/message.hpp"
#include "sim/engine/event.hpp"
#include "sim/engine/event_queue.hpp"
#include "sim/engine/link_model.hpp"
#include "sim/engine/topology.hpp"

namespace {

using namespace swarmsim::sim;
using swarmsim::bench::fail;

// The swarm driver's own event type (a block delivery, its most frequent kind).
static_assert(sizeof(event_queue<event>::entry) == 48);

event block_to(std::size_t peer) {
  return events::block{static_cast<std::uint32_t>(peer), {}, 0, 0, 16384, 0};
}

constexpr std::int64_t max_delay_ns = 100'000'000;  // 100 ms

class xorshift {
 public:
  std::uint64_t next() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_;
  }
  std::int64_t below(std::int64_t n) {
    return static_cast<std::int64_t>((next() >> 11) % static_cast<std::uint64_t>(n));
  }

 private:
  std::uint64_t x_ = 88172645463325252ull;
};

bool in_order(const event_queue<event>::entry& a, const event_queue<event>::entry& b) {
  return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}

void BM_event_queue_hold(benchmark::State& state) {
  const auto depth = static_cast<std::size_t>(state.range(0));
  event_queue<event> queue;
  queue.reserve(depth + 1);
  xorshift rng;
  for (std::size_t i = 0; i < depth; ++i)
    queue.push(time_point{} + duration{rng.below(max_delay_ns)}, block_to(i));
  time_point last{};
  bool ordered = true;
  for (auto _ : state) {
    const auto e = queue.pop();
    ordered = ordered && e.time >= last;
    last = e.time;
    queue.push(e.time + duration{1 + rng.below(max_delay_ns)}, e.event);
  }
  if (!ordered || queue.size() != depth) return fail(state, "events came out of order");
  state.SetItemsProcessed(state.iterations());
}

void BM_event_queue_fill_drain(benchmark::State& state) {
  const auto depth = static_cast<std::size_t>(state.range(0));
  event_queue<event> queue;
  queue.reserve(depth);
  xorshift rng;
  bool ordered = true;
  for (auto _ : state) {
    for (std::size_t i = 0; i < depth; ++i)
      queue.push(time_point{} + duration{rng.below(max_delay_ns)}, block_to(i));
    auto previous = queue.pop();
    for (std::size_t i = 1; i < depth; ++i) {
      auto e = queue.pop();
      ordered = ordered && in_order(previous, e);
      previous = e;
    }
  }
  if (!ordered) return fail(state, "events came out of order");
  state.counters["per_event"] =
      benchmark::Counter(static_cast<double>(depth), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(depth));
}

// range(0): sites, joined in a ring by links of 5-50 ms.
void BM_link_model_block(benchmark::State& state) {
  const auto num_sites = static_cast<std::uint32_t>(state.range(0));
  constexpr std::uint32_t num_peers = 1000;
  constexpr std::uint64_t bytes = swarmsim::protocol::default_block_size + 13;  // PIECE message
  std::mt19937_64 rng(5);
  std::vector<site_spec> sites;
  std::vector<link_spec> links;
  for (std::uint32_t s = 0; s < num_sites; ++s)
    sites.push_back(site_spec{"site" + std::to_string(s)});
  for (std::uint32_t s = 0; num_sites > 1 && s < num_sites; ++s)
    links.push_back(link_spec{sites[s].name, sites[(s + 1) % num_sites].name,
                              std::chrono::milliseconds(5 + rng() % 46)});
  if (num_sites == 2) links.pop_back();  // one link per pair
  const topology topo = topology::build(sites, links, std::chrono::milliseconds(10));

  struct peer {
    std::uint32_t site;
    double upload;
    downlink down;
  };
  std::vector<peer> peers;
  for (std::uint32_t i = 0; i < num_peers; ++i)
    peers.push_back(peer{static_cast<std::uint32_t>(rng() % num_sites),
                         (1 + static_cast<double>(rng() % 100)) * 125000.0,
                         downlink{(10 + static_cast<double>(rng() % 100)) * 125000.0, {}}});
  constexpr std::size_t num_pairs = 4096;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;
  for (std::size_t i = 0; i < num_pairs; ++i)
    pairs.emplace_back(static_cast<std::uint32_t>(rng() % num_peers),
                       static_cast<std::uint32_t>(rng() % num_peers));

  time_point now{};
  std::size_t k = 0;
  for (auto _ : state) {
    const auto [from, to] = pairs[k];
    k = (k + 1) % num_pairs;
    const time_point end = now + transmit_time(bytes, peers[from].upload);
    const time_point at =
        peers[to].down.receive(bytes, now, end, topo.latency(peers[from].site, peers[to].site));
    benchmark::DoNotOptimize(at);
    now += std::chrono::microseconds(1);
  }
  state.SetItemsProcessed(state.iterations());
}

void register_benchmarks(bool smoke) {
  const std::vector<std::int64_t> depths =
      smoke ? std::vector<std::int64_t>{1000}
            : std::vector<std::int64_t>{1000, 10'000, 100'000, 1'000'000};
  const std::vector<std::int64_t> sites =
      smoke ? std::vector<std::int64_t>{2} : std::vector<std::int64_t>{1, 16};
  std::vector<benchmark::internal::Benchmark*> all;
  all.push_back(
      benchmark::RegisterBenchmark("BM_event_queue_hold", BM_event_queue_hold)->ArgName("depth"));
  all.push_back(benchmark::RegisterBenchmark("BM_event_queue_fill_drain", BM_event_queue_fill_drain)
                    ->ArgName("depth"));
  for (auto* b : {all[0], all[1]})
    for (const std::int64_t d : depths)
      b->Arg(d);
  all.push_back(
      benchmark::RegisterBenchmark("BM_link_model_block", BM_link_model_block)->ArgName("sites"));
  for (const std::int64_t s : sites)
    all.back()->Arg(s);
  if (smoke)
    for (auto* b : all)
      b->MinTime(swarmsim::bench::smoke_min_time);
}

}  // namespace

int main(int argc, char** argv) {
  return swarmsim::bench::run_main(argc, argv, register_benchmarks);
}
