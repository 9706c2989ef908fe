// Wire codec throughput on the stream a downloading peer sees: mostly 16 KiB piece
// messages, with haves and requests between them. bytes_per_second is the
// throughput; items are messages.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench/bench_support.hpp"
#include "protocol/torrent_geometry.hpp"
#include "protocol/wire_codec.hpp"

namespace {

using namespace swarmsim::protocol;

constexpr std::uint32_t num_pieces = 2000;

// Per 16 KiB piece message: 1 have and 1 request.
std::vector<message> mixed_stream(std::size_t pieces) {
  std::vector<message> out;
  std::vector<std::uint8_t> data(default_block_size);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::uint8_t>(i * 31);
  for (std::uint32_t i = 0; i < pieces; ++i) {
    const piece_index p{(i * 7) % num_pieces};
    out.emplace_back(msg::piece{p, (i % 16) * default_block_size, default_block_size, data});
    out.emplace_back(msg::have{piece_index{(i * 13) % num_pieces}});
    out.emplace_back(msg::request{p, (i % 16) * default_block_size, default_block_size});
  }
  return out;
}

std::vector<std::uint8_t> encode_all(const std::vector<message>& messages) {
  std::vector<std::uint8_t> out;
  for (const message& m : messages)
    encode(m, out);
  return out;
}

void BM_codec_encode(benchmark::State& state) {
  const std::vector<message> messages = mixed_stream(64);
  std::vector<std::uint8_t> out;
  out.reserve(encode_all(messages).size());
  for (auto _ : state) {
    out.clear();
    for (const message& m : messages)
      encode(m, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(messages.size()));
}

// range(0): bytes handed to feed() at a time (a TCP segment, a socket read).
void BM_codec_decode(benchmark::State& state) {
  const std::vector<message> messages = mixed_stream(64);
  const std::vector<std::uint8_t> bytes = encode_all(messages);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  decoder d(num_pieces, decoder_start::after_handshake);
  std::size_t decoded = 0;
  for (auto _ : state) {
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
      d.feed(std::span(bytes).subspan(at, std::min(chunk, bytes.size() - at)));
      for (decode_result r = d.next(); r.has_message(); r = d.next()) {
        benchmark::DoNotOptimize(r.get());
        ++decoded;
      }
    }
  }
  if (d.failed() || decoded != messages.size() * state.iterations())
    return swarmsim::bench::fail(state, "the stream did not decode cleanly");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(messages.size()));
}

void register_benchmarks(bool smoke) {
  auto* encode = benchmark::RegisterBenchmark("BM_codec_encode", BM_codec_encode);
  auto* decode = benchmark::RegisterBenchmark("BM_codec_decode", BM_codec_decode)
                     ->ArgName("chunk")
                     ->Arg(1460)
                     ->Arg(16 * 1024)
                     ->Arg(64 * 1024);
  if (smoke) {
    encode->MinTime(swarmsim::bench::smoke_min_time);
    decode->MinTime(swarmsim::bench::smoke_min_time);
  }
}

}  // namespace

int main(int argc, char** argv) {
  return swarmsim::bench::run_main(argc, argv, register_benchmarks);
}
