// Piece picker costs on one swarm shape: P pieces of 256 KiB in 16 KiB blocks,
// K connected peers (8 probes of density 0.5, the others 0.1-0.9), every piece
// held by someone, we hold 25% of the pieces and 12 partial pieces (half their
// blocks received).
//
// Reference figures for libtorrent 2.0.8 at P = 2000, K = 50 (REFERENCES.md and
// the picker issue): HAVE ~35 ns; pick of 16 blocks at density 0.5 ~50 ns, at
// 0.02 ~0.55 us; bitfield join at density 0.5 ~7.5 us + ~17.5 us rebuild; whole
// download ~85 ns/block (immediate), ~300 ns/block (queued).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "protocol/piece_picker.hpp"

namespace {

using namespace swarmsim::protocol;

constexpr std::uint32_t piece_size = 256 * 1024;
constexpr std::uint32_t num_probes = 8;
constexpr std::uint32_t num_partial = 12;
constexpr std::uint32_t request_size = 16;
constexpr requester probe{1};
constexpr requester earlier_peer{100000};

bitfield random_bitfield(std::uint32_t n, double density, std::mt19937_64& rng) {
  bitfield b(n);
  std::bernoulli_distribution has(density);
  for (std::uint32_t i = 0; i < n; ++i)
    if (has(rng)) b.set(i);
  return b;
}

struct swarm_shape {
  torrent_geometry geometry;
  std::vector<bitfield> peers;  // the first num_probes have density 0.5
  bitfield ours;
  std::vector<std::uint32_t> partial;

  swarm_shape(std::uint32_t num_pieces, std::uint32_t num_peers)
      : geometry(std::uint64_t{num_pieces} * piece_size, piece_size), ours(num_pieces) {
    std::mt19937_64 rng(num_pieces * 1000003ull + num_peers);
    std::uniform_real_distribution<double> density(0.1, 0.9);
    for (std::uint32_t i = 0; i < num_peers; ++i)
      peers.push_back(random_bitfield(num_pieces, i < num_probes ? 0.5 : density(rng), rng));
    for (std::uint32_t p = 0; p < num_pieces; ++p) {
      bool held = false;
      for (const bitfield& b : peers)
        held = held || b.test(p);
      if (!held) peers[rng() % num_peers].set(p);
    }
    ours = random_bitfield(num_pieces, 0.25, rng);
    while (partial.size() < num_partial) {
      const auto p = static_cast<std::uint32_t>(rng() % num_pieces);
      if (!ours.test(p) && std::find(partial.begin(), partial.end(), p) == partial.end())
        partial.push_back(p);
    }
  }

  std::uint32_t num_pieces() const { return geometry.num_pieces(); }

  piece_picker make_picker(picker_options options = {}) const {
    piece_picker picker(geometry, options, 42);
    for (const bitfield& b : peers)
      picker.inc_availability(b);
    ours.for_each_set([&](std::uint32_t p) { picker.set_have(piece_index{p}); });
    for (const std::uint32_t p : partial)
      for (std::uint32_t b = 0; b < geometry.blocks_per_piece() / 2; ++b)
        picker.mark_received(block_ref{piece_index{p}, block_index{b}}, earlier_peer);
    return picker;
  }
};

void swarm_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"pieces", "peers"});
  for (const std::int64_t pieces : {2000, 8000, 32000})
    for (const std::int64_t peers : {10, 50, 200})
      b->Args({pieces, peers});
}

// A peer's whole bitfield arrives and leaves again; each is followed by a pick
// of 16 blocks for a probe peer (which pays any deferred rebuild of the order)
// and the abort of those blocks.
void BM_picker_bitfield_join_leave(benchmark::State& state) {
  const swarm_shape shape(static_cast<std::uint32_t>(state.range(0)),
                          static_cast<std::uint32_t>(state.range(1)));
  piece_picker picker = shape.make_picker();
  std::mt19937_64 rng(7);
  const bitfield joining =
      random_bitfield(shape.num_pieces(), static_cast<double>(state.range(2)) / 1000, rng);
  bitfield peer = shape.peers[0];  // without the partial pieces, so picks reach the order
  for (const std::uint32_t p : shape.partial)
    peer.reset(p);
  std::vector<block_ref> out;
  const auto pick_and_abort = [&] {
    out.clear();
    picker.pick(peer, request_size, probe, out);
    for (const block_ref& b : out)
      picker.abort_request(b, probe);
  };
  pick_and_abort();
  for (auto _ : state) {
    picker.inc_availability(joining);
    pick_and_abort();
    picker.dec_availability(joining);
    pick_and_abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_picker_bitfield_join_leave)->Apply([](benchmark::internal::Benchmark* b) {
  b->ArgNames({"pieces", "peers", "permille"});
  for (const std::int64_t pieces : {2000, 8000, 32000})
    for (const std::int64_t peers : {10, 50, 200})
      for (const std::int64_t permille : {10, 100, 500, 900, 1000})
        b->Args({pieces, peers, permille});
});

// One HAVE, for random pieces (a quarter of them we already have).
void BM_picker_have(benchmark::State& state) {
  const swarm_shape shape(static_cast<std::uint32_t>(state.range(0)),
                          static_cast<std::uint32_t>(state.range(1)));
  piece_picker picker = shape.make_picker();
  picker.pick_order();
  std::mt19937_64 rng(9);
  constexpr std::size_t batch = 4096;
  std::vector<piece_index> haves(batch);
  for (piece_index& p : haves)
    p = piece_index{static_cast<std::uint32_t>(rng() % shape.num_pieces())};
  std::size_t k = 0;
  for (auto _ : state) {
    picker.inc_availability(haves[k]);
    if (++k == batch) {
      // Those peers leave again, so the counts stay at the swarm's shape.
      state.PauseTiming();
      for (const piece_index p : haves)
        picker.dec_availability(p);
      k = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_picker_have)->Apply(swarm_args);

// The steady_clock cost of an empty timed interval, subtracted from manually
// timed intervals.
double clock_overhead_seconds() {
  static const double overhead = [] {
    using clock = std::chrono::steady_clock;
    double best = 1;
    for (int round = 0; round < 20; ++round) {
      constexpr int n = 20000;
      clock::duration sum{};
      for (int i = 0; i < n; ++i) {
        const auto t0 = clock::now();
        const auto t1 = clock::now();
        sum += t1 - t0;
      }
      best = std::min(best, std::chrono::duration<double>(sum).count() / n);
    }
    return best;
  }();
  return overhead;
}

// The picker and peer of BM_picker_pick. case 0: a probe peer (density 0.5; it
// has about half of the 12 partial pieces, which it finishes first); case 1: a
// peer of density 0.02; case 2: a peer whose only piece we want is the most
// common one; case 3: the probe peer without the partial pieces (a fresh piece
// from the rarest-first scan).
struct pick_setup {
  swarm_shape shape;
  piece_picker picker;
  bitfield peer;

  explicit pick_setup(const benchmark::State& state)
      : shape(static_cast<std::uint32_t>(state.range(0)),
              static_cast<std::uint32_t>(state.range(1))),
        picker(shape.make_picker(rarest_only())),
        peer(shape.peers[0]) {
    std::mt19937_64 rng(11);
    if (state.range(2) == 1) {
      peer = random_bitfield(shape.num_pieces(), 0.02, rng);
      picker.inc_availability(peer);
    } else if (state.range(2) == 3) {
      for (const std::uint32_t p : shape.partial)
        peer.reset(p);
    } else if (state.range(2) == 2) {
      std::uint32_t most_common = 0;
      std::uint32_t most = 0;
      for (const piece_index p : picker.pick_order())
        if (picker.availability(p) >= most) {
          most = picker.availability(p);
          most_common = p.value();
        }
      peer = shape.ours;
      peer.set(most_common);
      picker.inc_availability(peer);
    }
    picker.pick_order();
  }

  static picker_options rarest_only() {
    picker_options options;
    options.random_first_pieces = 0;
    return options;
  }
  static const char* label(const benchmark::State& state) {
    const char* labels[] = {"density 0.5", "density 0.02", "only the most common piece",
                            "density 0.5, no partial piece"};
    return labels[state.range(2)];
  }
};

// One pick of 16 blocks, rarest first; each is aborted again (untimed) so every
// pick starts from the same state. Timed by hand around the pick alone, less the
// clock's own cost.
void BM_picker_pick(benchmark::State& state) {
  pick_setup setup(state);
  std::vector<block_ref> out;
  out.reserve(request_size);
  const double overhead = clock_overhead_seconds();
  std::int64_t blocks = 0;
  for (auto _ : state) {
    out.clear();
    const auto t0 = std::chrono::steady_clock::now();
    blocks += setup.picker.pick(setup.peer, request_size, probe, out);
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(
        std::max(0.0, std::chrono::duration<double>(t1 - t0).count() - overhead));
    for (const block_ref& b : out)
      setup.picker.abort_request(b, probe);
  }
  state.SetLabel(pick_setup::label(state));
  state.counters["blocks_per_pick"] =
      static_cast<double>(blocks) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}

// The same, timed as pick + abort of the 16 blocks (no clock correction).
void BM_picker_pick_abort(benchmark::State& state) {
  pick_setup setup(state);
  std::vector<block_ref> out;
  out.reserve(request_size);
  for (auto _ : state) {
    out.clear();
    setup.picker.pick(setup.peer, request_size, probe, out);
    for (const block_ref& b : out)
      setup.picker.abort_request(b, probe);
  }
  state.SetLabel(pick_setup::label(state));
  state.SetItemsProcessed(state.iterations());
}

void pick_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"pieces", "peers", "case"});
  for (const std::int64_t pieces : {2000, 8000, 32000})
    for (const std::int64_t peers : {10, 50, 200})
      for (const std::int64_t which : {0, 1, 2, 3})
        b->Args({pieces, peers, which});
}
BENCHMARK(BM_picker_pick)->Apply(pick_args)->UseManualTime();
BENCHMARK(BM_picker_pick_abort)->Apply(pick_args);

// A whole download: peers take turns picking 16 blocks; every block arrives at once.
void BM_picker_download_immediate(benchmark::State& state) {
  const swarm_shape shape(static_cast<std::uint32_t>(state.range(0)),
                          static_cast<std::uint32_t>(state.range(1)));
  std::int64_t blocks = 0;
  std::vector<block_ref> out;
  for (auto _ : state) {
    state.PauseTiming();
    piece_picker picker = shape.make_picker();
    state.ResumeTiming();
    const auto num_peers = static_cast<std::uint32_t>(shape.peers.size());
    for (std::uint32_t turn = 0; !picker.is_seed(); turn = turn + 1 == num_peers ? 0 : turn + 1) {
      out.clear();
      picker.pick(shape.peers[turn], request_size, requester{turn}, out);
      for (const block_ref& b : out)
        blocks += picker.mark_received(b, requester{turn}).accepted;
    }
  }
  state.SetItemsProcessed(blocks);
}
BENCHMARK(BM_picker_download_immediate)->Apply(swarm_args)->Unit(benchmark::kMillisecond);

// A whole download with 16 requests outstanding per peer: a random busy peer
// delivers its oldest block, then refills; endgame duplicates get cancelled.
void BM_picker_download_queued(benchmark::State& state) {
  const swarm_shape shape(static_cast<std::uint32_t>(state.range(0)),
                          static_cast<std::uint32_t>(state.range(1)));
  const auto num_peers = static_cast<std::uint32_t>(shape.peers.size());
  std::int64_t blocks = 0;
  std::vector<std::vector<block_ref>> queues(num_peers);
  std::vector<std::uint32_t> busy;  // peers with requests outstanding
  std::vector<std::uint32_t> busy_slot(num_peers);
  constexpr std::uint32_t idle = ~0u;
  std::uint64_t x = 88172645463325252ull;  // xorshift64
  for (auto _ : state) {
    state.PauseTiming();
    piece_picker picker = shape.make_picker();
    for (auto& q : queues)
      q.clear();
    busy.clear();
    std::fill(busy_slot.begin(), busy_slot.end(), idle);
    state.ResumeTiming();
    const auto update_busy = [&](std::uint32_t who) {
      const bool is_busy = !queues[who].empty();
      if (is_busy && busy_slot[who] == idle) {
        busy_slot[who] = static_cast<std::uint32_t>(busy.size());
        busy.push_back(who);
      } else if (!is_busy && busy_slot[who] != idle) {
        busy[busy_slot[who]] = busy.back();
        busy_slot[busy.back()] = busy_slot[who];
        busy.pop_back();
        busy_slot[who] = idle;
      }
    };
    const auto refill = [&](std::uint32_t who) {
      auto& q = queues[who];
      if (q.size() < request_size)
        picker.pick(shape.peers[who], request_size - static_cast<std::uint32_t>(q.size()),
                    requester{who}, q);
      update_busy(who);
    };
    for (std::uint32_t who = 0; who < num_peers; ++who)
      refill(who);
    bool endgame = false;
    while (!picker.is_seed() && !busy.empty()) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      const std::uint32_t who = busy[(x >> 32) * busy.size() >> 32];
      auto& q = queues[who];
      const block_ref b = q.front();
      q.erase(q.begin());
      const auto result = picker.mark_received(b, requester{who});
      blocks += result.accepted;
      for (const requester other : result.cancel) {
        auto& oq = queues[other.value()];
        oq.erase(std::find(oq.begin(), oq.end(), b));
        update_busy(other.value());
      }
      refill(who);
      if (!endgame && picker.in_endgame()) {
        endgame = true;
        for (std::uint32_t p = 0; p < num_peers; ++p)
          refill(p);
      }
    }
  }
  state.SetItemsProcessed(blocks);
}
BENCHMARK(BM_picker_download_queued)->Apply(swarm_args)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
