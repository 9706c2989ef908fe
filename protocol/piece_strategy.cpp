#include "protocol/piece_strategy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <vector>

#include "protocol/piece_picker.hpp"
#include "protocol/playback.hpp"
#include "protocol/strategy.hpp"

namespace swarmsim::protocol {

// --- piece_request ---

void piece_request::take(piece_index p) {
  if (!startable(p))
    throw std::logic_error(
        fmt::format("picker strategy '{}' took piece {}, which is {} (piece_strategy.hpp rule 6)",
                    picker_.options_.policy.name(), p.value(),
                    p.value() >= num_pieces() ? "out of range"
                    : !wanted(p)              ? "not wanted"
                                              : "not held by the remote"));
  if (full()) return;
  picker_.take_blocks(state_, p.value());
}

void piece_request::take_in_order() {
  if (picker_.order_ == piece_order::none)
    throw std::logic_error(
        fmt::format("picker strategy '{}' walked an order it does not keep (piece_strategy.hpp "
                    "rule 6)",
                    picker_.options_.policy.name()));
  if (!full()) picker_.pick_ordered(state_);
}

void piece_request::take_lowest(piece_index from) {
  if (!full() && from.value() < num_pieces()) picker_.pick_lowest(state_, from.value());
}

void piece_request::take_random() {
  if (!full()) picker_.pick_random_first(state_);
}

void piece_request::take_duplicate(piece_index p) {
  if (p.value() >= num_pieces() || have(p) || !remote_has(p))
    throw std::logic_error(fmt::format(
        "picker strategy '{}' duplicated piece {}, which is {} (piece_strategy.hpp rule 6)",
        picker_.options_.policy.name(), p.value(),
        p.value() >= num_pieces() ? "out of range"
        : have(p)                 ? "had already"
                                  : "not held by the remote"));
  if (!full()) picker_.duplicate_blocks(state_, p.value());
}

piece_index piece_request::playback_point() const {
  if (const class playback* pb = playback()) return piece_index{pb->position()};
  const auto words = picker_.have_.words();
  for (std::size_t w = 0; w < words.size(); ++w)
    if (~words[w] != 0) {
      const auto p = static_cast<std::uint32_t>(w * 64 + std::countr_zero(~words[w]));
      return piece_index{std::min(p, num_pieces())};
    }
  return piece_index{num_pieces()};
}

void piece_request::take_rarest(piece_index first, piece_index last) {
  const std::uint32_t end = std::min(last.value(), num_pieces());
  // (availability, random) << 32 | piece, for the startable pieces.
  std::vector<std::uint64_t> keys;
  for (std::uint32_t p = first.value(); p < end; ++p) {
    if (!startable(piece_index{p})) continue;
    const std::uint64_t a = std::min<std::uint32_t>(availability(piece_index{p}), 0xffff);
    keys.push_back((a << 48 | (picker_.next_random() & 0xffff) << 32) | p);
  }
  std::sort(keys.begin(), keys.end());
  for (const std::uint64_t k : keys) {
    if (full()) return;
    picker_.take_blocks(state_, static_cast<std::uint32_t>(k));
  }
}

// --- the built-in strategies ---

namespace {

// BEP 3's rarest first, with mainline's random first pieces and its rule that a
// seed finishes only the pieces started from a seed.
class rarest_first final : public piece_strategy {
 public:
  void pick(piece_request& r) override {
    if (r.starting())
      r.take_random();
    else
      r.take_in_order();
  }
  piece_order order() const override { return piece_order::availability; }
  bool seed_finishes_own() const override { return true; }
};

class sequential final : public piece_strategy {
 public:
  void pick(piece_request& r) override { r.take_lowest(); }
  piece_order order() const override { return piece_order::none; }
};

class random_order final : public piece_strategy {
 public:
  void pick(piece_request& r) override { r.take_in_order(); }
  piece_order order() const override { return piece_order::shuffled; }
};

template <typename T>
std::unique_ptr<piece_strategy> make(const strategy_params&) {
  return std::make_unique<T>();
}

strategy_info picker_info(std::string name, std::string summary, std::string source,
                          piece_factory factory) {
  strategy_info info;
  info.kind = strategy_kind::picker;
  info.name = std::move(name);
  info.summary = std::move(summary);
  info.source = std::move(source);
  info.make_picker = factory;
  return info;
}

}  // namespace

const strategy_info& rarest_first_picker_info() {
  static const strategy_info info = picker_info(
      "rarest_first",
      "lowest availability among our connections first, random among equals; the first "
      "random_first_pieces at random; from a seed, only pieces started from a seed are finished",
      "BEP 3; Cohen 2003; BitTorrent mainline 4.x (PiecePicker); libtorrent's priority bands",
      &make<rarest_first>);
  return info;
}

const strategy_info& sequential_picker_info() {
  static const strategy_info info =
      picker_info("sequential", "lowest piece index first (what streaming clients do)",
                  "libtorrent's sequential_download", &make<sequential>);
  return info;
}

const strategy_info& random_picker_info() {
  static const strategy_info info =
      picker_info("random", "uniformly random among the wanted pieces, in one fixed random order",
                  "the usual baseline (Bharambe et al., INFOCOM 2006)", &make<random_order>);
  return info;
}

}  // namespace swarmsim::protocol
