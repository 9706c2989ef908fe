#include "protocol/piece_picker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace swarmsim::protocol {

namespace {

constexpr std::uint16_t max_count = 0xffff;

// std::popcount compiles to a library call unless the target has POPCNT.
std::uint32_t popcount64(std::uint64_t x) {
#if defined(__POPCNT__)
  return static_cast<std::uint32_t>(std::popcount(x));
#else
  x = x - ((x >> 1) & 0x5555555555555555u);
  x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
  return static_cast<std::uint32_t>((x * 0x0101010101010101u) >> 56);
#endif
}

std::uint64_t low_bits(std::uint32_t n) {
  return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
}

std::unique_ptr<piece_strategy> make_piece_strategy(const strategy_ref& policy) {
  if (!policy.info || !policy.info->make_picker)
    throw std::invalid_argument(
        fmt::format("piece picker: '{}' is not a registered picker strategy", policy.name()));
  return policy.info->make_picker(policy.params);
}

}  // namespace

piece_picker::piece_picker(const torrent_geometry& geometry, picker_options options,
                           std::uint64_t seed)
    : geometry_(geometry),
      options_(options),
      order_(piece_order::none),
      seed_finishes_own_(false),
      rng_state_(seed),
      num_pieces_(geometry.num_pieces()),
      blocks_per_piece_(geometry.blocks_per_piece()),
      last_piece_blocks_(geometry.blocks_in_piece(piece_index{geometry.num_pieces() - 1})),
      mask_words_((geometry.blocks_per_piece() + 63) / 64),
      use_bands_(false),
      entries_(geometry.num_pieces()),
      have_(geometry.num_pieces()),
      wanted_(geometry.num_pieces(), true),
      zero_counts_(geometry.num_pieces()),
      record_of_(geometry.num_pieces(), npos),
      strategy_(make_piece_strategy(options_.policy)) {
  order_ = strategy_->order();
  seed_finishes_own_ = strategy_->seed_finishes_own();
  use_bands_ = order_ != piece_order::none;
  for (piece_entry& e : entries_)
    e.flags = flag_wanted;
  if (use_bands_) {
    missing_order_.resize(num_pieces_);
    for (std::uint32_t i = 0; i < num_pieces_; ++i)
      missing_order_[i] = i;
    for (std::uint32_t i = num_pieces_; i > 1; --i)
      std::swap(missing_order_[i - 1], missing_order_[random_below(i)]);
    for (piece_entry& e : entries_)
      e.flags |= flag_listed;
  }
}

piece_picker::~piece_picker() = default;
piece_picker::piece_picker(piece_picker&&) noexcept = default;
piece_picker& piece_picker::operator=(piece_picker&&) noexcept = default;

// --- random numbers (splitmix64) ---

std::uint64_t piece_picker::next_random() {
  std::uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

std::uint32_t piece_picker::random_below(std::uint32_t n) {
  return static_cast<std::uint32_t>(((next_random() >> 32) * n) >> 32);
}

// --- our own content ---

void piece_picker::set_have(piece_index piece) {
  const std::uint32_t p = piece.value();
  if (p >= num_pieces_ || have_.test(p)) return;
  if (record_of_[p] != npos) close_record(record_of_[p]);
  if (entries_[p].flags & flag_wanted) set_unwanted(p);
  have_.set(p);
  entries_[p].flags |= flag_have;
}

void piece_picker::set_have_all() {
  for (std::uint32_t p = 0; p < num_pieces_; ++p)
    set_have(piece_index{p});
}

// --- availability ---

void piece_picker::set_base(std::uint32_t uniform, std::uint32_t seeds) {
  const bool was_positive = uniform_ + seeds_ > 0;
  uniform_ = uniform;
  seeds_ = seeds;
  // Pieces counted zero times change between available and not.
  if (was_positive != (uniform_ + seeds_ > 0) && zero_counts_ > 0) dirty_ = true;
}

void piece_picker::inc_seed() {
  set_base(uniform_, seeds_ + 1);
}

void piece_picker::dec_seed() {
  if (seeds_ > 0) set_base(uniform_, seeds_ - 1);
}

void piece_picker::add_to_all_counts(std::uint32_t d) {
  // Every count rises by d, so with band_base_ raised as much no piece changes band.
  for (piece_entry& e : entries_)
    e.count = static_cast<std::uint16_t>(e.count + d);
  band_base_ += d;
  if (d > 0) zero_counts_ = 0;
}

void piece_picker::inc_availability(const bitfield& peer_has) {
  if (peer_has.size() != num_pieces_ || peer_has.none()) return;
  if (peer_has.all()) {
    set_base(uniform_ + 1, seeds_);
    return;
  }
  if (use_bands_ && !dirty_) {
    if (peer_has.count() <= incremental_limit()) {
      peer_has.for_each_set([this](std::uint32_t p) { inc_availability(piece_index{p}); });
      return;
    }
    if (num_pieces_ - peer_has.count() <= incremental_limit()) {
      // Count the peer in every piece, then take it back where it lacks one.
      set_base(uniform_ + 1, seeds_);
      for_each_lacking(peer_has, [this](std::uint32_t p) { dec_availability(piece_index{p}); });
      return;
    }
  }
  std::uint32_t zeros = zero_counts_;
  peer_has.for_each_set([&](std::uint32_t p) {
    piece_entry& e = entries_[p];
    zeros -= e.count == 0;
    e.count = static_cast<std::uint16_t>(e.count + (e.count != max_count));
  });
  zero_counts_ = zeros;
  if (use_bands_) dirty_ = true;
}

void piece_picker::dec_availability(const bitfield& peer_has) {
  if (peer_has.size() != num_pieces_ || peer_has.none()) return;
  if (peer_has.all()) {
    dec_all();
    return;
  }
  if (use_bands_ && !dirty_) {
    if (peer_has.count() <= incremental_limit()) {
      peer_has.for_each_set([this](std::uint32_t p) { dec_availability(piece_index{p}); });
      return;
    }
    if (num_pieces_ - peer_has.count() <= incremental_limit()) {
      // Count the peer in the pieces it lacks too, then take it away everywhere.
      for_each_lacking(peer_has, [this](std::uint32_t p) { inc_availability(piece_index{p}); });
      dec_all();
      return;
    }
  }
  if (uniform_ > 0) {
    add_to_all_counts(uniform_);
    uniform_ = 0;
  }
  std::uint32_t zeros = zero_counts_;
  peer_has.for_each_set([&](std::uint32_t p) {
    piece_entry& e = entries_[p];
    e.count = static_cast<std::uint16_t>(e.count - (e.count != 0));
    zeros += e.count == 0;
  });
  zero_counts_ = zeros;
  if (use_bands_) dirty_ = true;
}

void piece_picker::dec_all() {
  if (uniform_ > 0) {
    set_base(uniform_ - 1, seeds_);
    return;
  }
  // The peer was counted piece by piece (a bitfield, then HAVEs): every count
  // drops by one.
  std::uint32_t zeros = 0;
  for (piece_entry& e : entries_) {
    e.count = static_cast<std::uint16_t>(e.count - (e.count != 0));
    zeros += e.count == 0;
  }
  // Pieces whose count reached zero with nobody counted everywhere leave the bands.
  const bool lost = zeros > zero_counts_ && seeds_ == 0;
  zero_counts_ = zeros;
  if (!use_bands_ || dirty_) return;
  if (lost) {
    dirty_ = true;
  } else if (order_ == piece_order::availability) {
    // Every piece in the bands dropped by one unless band 1 held count 0.
    if (band_base_ > 0) {
      --band_base_;
    } else if (bands_.size() < 2) {
      // No band holds a piece: nothing to renumber.
    } else if (bands_[1].empty()) {
      bands_.erase(bands_.begin() + 1);
    } else {
      dirty_ = true;
    }
  }
}

template <typename F>
void piece_picker::for_each_lacking(const bitfield& peer_has, F&& f) const {
  const auto words = peer_has.words();
  for (std::size_t w = 0; w < words.size(); ++w) {
    std::uint64_t bits = ~words[w];
    if (w + 1 == words.size() && num_pieces_ % 64 != 0) bits &= low_bits(num_pieces_ % 64);
    while (bits != 0) {
      f(static_cast<std::uint32_t>(w * 64 + std::countr_zero(bits)));
      bits &= bits - 1;
    }
  }
}

bool piece_picker::inc_availability(piece_index piece) {
  const std::uint32_t p = piece.value();
  if (p >= num_pieces_) return false;
  piece_entry& e = entries_[p];
  const bool had = e.flags & flag_have;
  if (e.count == max_count) return had;
  zero_counts_ -= e.count == 0;
  if (!use_bands_ || dirty_) {
    ++e.count;
    return had;
  }
  const std::uint32_t from = band_of(e);
  ++e.count;
  const std::uint32_t to = target_band(e);
  if (from != to) move_piece(p, from, to);
  return had;
}

void piece_picker::dec_availability(piece_index piece) {
  const std::uint32_t p = piece.value();
  if (p >= num_pieces_) return;
  if (entries_[p].count == 0) {
    if (uniform_ == 0) return;  // nobody is counted for this piece
    // Break one whole-bitfield peer into per-piece counts.
    add_to_all_counts(1);
    --uniform_;
  }
  piece_entry& e = entries_[p];
  zero_counts_ += e.count == 1;
  if (!use_bands_ || dirty_) {
    --e.count;
    return;
  }
  const std::uint32_t base_before = band_base_;
  std::uint32_t from = band_of(e);
  --e.count;
  const std::uint32_t to = target_band(e);
  // target_band may have opened bands below band 1, renumbering the bands.
  if (from != 0) from += base_before - band_base_;
  if (from != to) move_piece(p, from, to);
}

// --- the order ---

std::uint32_t piece_picker::band_of(const piece_entry& e) const {
  if (!(e.flags & flag_wanted)) return 0;
  if (e.count == 0 && uniform_ + seeds_ == 0) return 0;
  if (order_ != piece_order::availability) return 1;
  return e.count - band_base_ + 1;
}

std::uint32_t piece_picker::target_band(const piece_entry& e) {
  if (!(e.flags & flag_wanted)) return 0;
  if (e.count == 0 && uniform_ + seeds_ == 0) return 0;
  if (order_ != piece_order::availability) return 1;
  if (e.count < band_base_) {
    // A new rarest band: open empty bands below the current band 1.
    bands_.insert(bands_.begin() + 1, band_base_ - e.count, std::vector<piece_index>{});
    band_base_ = e.count;
  }
  return e.count - band_base_ + 1;
}

void piece_picker::move_piece(std::uint32_t p, std::uint32_t from, std::uint32_t to) {
  if (from != 0) {
    // Leave the band: its last piece takes p's slot.
    std::vector<piece_index>& band = bands_[from];
    const std::uint32_t i = entries_[p].pos;
    const piece_index last = band.back();
    band[i] = last;
    entries_[last.value()].pos = i;
    band.pop_back();
    --in_order_;
  }
  if (to != 0) {
    // Join the band at a random position; the piece there moves to the end.
    if (to >= bands_.size()) bands_.resize(to + 1);
    std::vector<piece_index>& band = bands_[to];
    const auto end = static_cast<std::uint32_t>(band.size());
    const std::uint32_t i = random_below(end + 1);
    if (i == end) {
      band.push_back(piece_index{p});
    } else {
      const piece_index other = band[i];
      band.push_back(other);
      entries_[other.value()].pos = end;
      band[i] = piece_index{p};
    }
    entries_[p].pos = i;
    ++in_order_;
  }
}

void piece_picker::rebuild_order() {
  const bool base_positive = uniform_ + seeds_ > 0;
  const bool rarest = order_ == piece_order::availability;
  const std::uint32_t listed = static_cast<std::uint32_t>(missing_order_.size());
  slots_.resize(listed);
  // Pass 1, over the missing pieces in their fixed random order: drop the pieces
  // we have, note each piece's histogram slot (0: parked, c + 1: count c).
  std::uint32_t max_slot = 1;
  const std::uint32_t kept = sort_keys(entries_.data(), missing_order_.data(), slots_.data(),
                                       listed, base_positive, rarest, max_slot);
  missing_order_.resize(kept);
  std::vector<std::uint32_t>& hist = scratch_;
  hist.assign(max_slot + 1, 0);
  for (std::uint32_t i = 0; i < kept; ++i)
    ++hist[slots_[i]];

  std::uint32_t lowest = 1;  // histogram slot of band 1
  if (rarest)
    while (lowest < max_slot && hist[lowest] == 0)
      ++lowest;
  band_base_ = lowest - 1;
  const std::uint32_t num_bands = max_slot - lowest + 2;
  if (bands_.size() < num_bands) bands_.resize(num_bands);
  for (std::size_t b = num_bands; b < bands_.size(); ++b)
    bands_[b].clear();
  // Band 0 is a one-slot sink for the parked pieces during the sort.
  bands_[0].resize(1);
  band_data_.resize(num_bands);
  band_data_[0] = bands_[0].data();
  for (std::uint32_t b = 1; b < num_bands; ++b) {
    bands_[b].resize(hist[lowest + b - 1]);
    band_data_[b] = bands_[b].data();
  }
  in_order_ = kept - hist[0];
  // Pass 2: stable counting sort, so the fixed random order breaks ties.
  hist.assign(num_bands, 0);
  sort_into_bands(entries_.data(), missing_order_.data(), slots_.data(), kept, lowest - 1,
                  hist.data(), band_data_.data());
  bands_[0].clear();
  dirty_ = false;
}

std::uint32_t piece_picker::sort_keys(piece_entry* __restrict entries,
                                      std::uint32_t* __restrict order,
                                      std::uint32_t* __restrict slots, std::uint32_t listed,
                                      bool base_positive, bool rarest, std::uint32_t& max_slot) {
  std::uint32_t kept = 0;
  std::uint32_t top = max_slot;
  for (std::uint32_t i = 0; i < listed; ++i) {
    const std::uint32_t p = order[i];
    piece_entry& e = entries[p];
    if (e.flags & flag_have) {  // rare: pieces completed since the last rebuild
      e.flags &= static_cast<std::uint8_t>(~flag_listed);
      continue;
    }
    const bool in_order = (e.flags & flag_wanted) && (e.count != 0 || base_positive);
    const std::uint32_t slot = in_order ? (rarest ? e.count + 1u : 1u) : 0u;
    top = std::max(top, slot);
    order[kept] = p;
    slots[kept] = slot;
    ++kept;
  }
  max_slot = top;
  return kept;
}

void piece_picker::sort_into_bands(piece_entry* __restrict entries,
                                   const std::uint32_t* __restrict order,
                                   const std::uint32_t* __restrict slots, std::uint32_t count,
                                   std::uint32_t shift, std::uint32_t* __restrict fill,
                                   piece_index* const* __restrict data) {
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t p = order[i];
    const std::uint32_t slot = slots[i];
    const std::uint32_t band = slot == 0 ? 0 : slot - shift;
    const std::uint32_t q = fill[band];
    fill[band] = q + (band != 0);
    data[band][q] = piece_index{p};
    entries[p].pos = q;
  }
}

void piece_picker::set_wanted(std::uint32_t p) {
  piece_entry& e = entries_[p];
  e.flags |= flag_wanted;
  wanted_.set(p);
  endgame_index_ = false;  // no longer in endgame
  sequential_word_ = std::min(sequential_word_, p / 64);
  if (use_bands_ && !dirty_) {
    const std::uint32_t to = target_band(e);
    if (to != 0) move_piece(p, 0, to);
  }
}

void piece_picker::set_unwanted(std::uint32_t p) {
  piece_entry& e = entries_[p];
  const std::uint32_t from = use_bands_ && !dirty_ ? band_of(e) : 0;
  e.flags &= static_cast<std::uint8_t>(~flag_wanted);
  wanted_.reset(p);
  if (from != 0) move_piece(p, from, 0);
}

std::span<const piece_index> piece_picker::pick_order() {
  if (!use_bands_) {
    order_copy_.clear();
    const bool base_positive = uniform_ + seeds_ > 0;
    wanted_.for_each_set([&](std::uint32_t p) {
      if (base_positive || entries_[p].count != 0) order_copy_.push_back(piece_index{p});
    });
    return order_copy_;
  }
  if (dirty_) rebuild_order();
  order_copy_.clear();
  for (const auto& band : bands_)
    order_copy_.insert(order_copy_.end(), band.begin(), band.end());
  return order_copy_;
}

// --- download records ---

std::uint32_t piece_picker::open_record(std::uint32_t p) {
  std::uint32_t r;
  if (!free_records_.empty()) {
    r = free_records_.back();
    free_records_.pop_back();
  } else {
    r = static_cast<std::uint32_t>(records_.size());
    records_.emplace_back();
    blocks_.resize(blocks_.size() + blocks_per_piece_);
    free_masks_.resize(free_masks_.size() + mask_words_);
  }
  endgame_index_ = false;  // sized for the records there were
  download_record& rec = records_[r];
  const std::uint32_t nb = blocks_in(p);
  rec.piece = p;
  rec.partial_slot = npos;
  rec.active_slot = static_cast<std::uint32_t>(active_.size());
  rec.num_blocks = nb;
  rec.free = nb;
  rec.requested = 0;
  rec.received = 0;
  rec.seed_started = false;
  rec.extra.clear();
  active_.push_back(r);
  std::fill_n(blocks_.begin() + std::size_t{r} * blocks_per_piece_, nb, block_slot{});
  std::uint64_t* const mask = free_masks_.data() + std::size_t{r} * mask_words_;
  for (std::uint32_t w = 0; w < mask_words_; ++w)
    mask[w] = nb > w * 64 ? low_bits(nb - w * 64) : 0;
  record_of_[p] = r;
  return r;
}

void piece_picker::close_record(std::uint32_t r) {
  remove_partial(r);
  if (endgame_index_) {
    for (std::uint32_t level = 1; level <= options_.max_endgame_duplicates; ++level)
      while (level_count_[std::size_t{r} * options_.max_endgame_duplicates + level - 1] > 0)
        change_level(r, level, 0);
  }
  download_record& rec = records_[r];
  const std::uint32_t last = active_.back();
  active_[rec.active_slot] = last;
  records_[last].active_slot = rec.active_slot;
  active_.pop_back();
  rec.extra.clear();
  record_of_[rec.piece] = npos;
  free_records_.push_back(r);
}

void piece_picker::add_partial(std::uint32_t r) {
  records_[r].partial_slot = static_cast<std::uint32_t>(partial_.size());
  partial_.push_back(r);
}

void piece_picker::remove_partial(std::uint32_t r) {
  const std::uint32_t slot = records_[r].partial_slot;
  if (slot == npos) return;
  const std::uint32_t last = partial_.back();
  partial_[slot] = last;
  records_[last].partial_slot = slot;
  partial_.pop_back();
  records_[r].partial_slot = npos;
}

bool piece_picker::has_requester(const download_record& rec, const block_slot& slot,
                                 std::uint32_t block, requester who) const {
  if (slot.num_requesters == 0) return false;
  if (slot.first == who) return true;
  if (slot.num_requesters == 1) return false;
  return std::any_of(rec.extra.begin(), rec.extra.end(),
                     [&](const extra_requester& x) { return x.block == block && x.who == who; });
}

// --- picking ---

std::uint32_t piece_picker::pick(const bitfield& peer_has, std::uint32_t max_blocks, requester who,
                                 std::vector<block_ref>& out) {
  if (max_blocks == 0 || peer_has.size() != num_pieces_ || peer_has.none()) return 0;
  pick_state s{peer_has, out, who, max_blocks, 0, peer_has.all()};
  if (!wanted_.none()) {
    if (options_.finish_started_first && !partial_.empty()) {
      pick_partial(s);
      if (s.done()) return s.n;
    }
    piece_request request(*this, s);
    strategy_->pick(request);
  }
  if (!s.done() && in_endgame()) pick_endgame(s);
  return s.n;
}

void piece_picker::take_blocks(pick_state& s, std::uint32_t p) {
  std::uint32_t r = record_of_[p];
  if (r == npos) r = open_record(p);
  download_record& rec = records_[r];
  if (s.seed) rec.seed_started = true;
  const std::uint32_t taken = std::min(s.max - s.n, rec.free);
  block_slot* const slots = blocks_.data() + std::size_t{r} * blocks_per_piece_;
  std::uint64_t* const mask = free_masks_.data() + std::size_t{r} * mask_words_;
  const std::size_t first = s.out.size();
  s.out.resize(first + taken);
  block_ref* out = s.out.data() + first;
  block_ref* const end = out + taken;
  const requester who = s.who;
  for (std::uint32_t w = 0; out != end; ++w) {
    std::uint64_t bits = mask[w];
    while (bits != 0 && out != end) {
      const std::uint32_t b = w * 64 + static_cast<std::uint32_t>(std::countr_zero(bits));
      bits &= bits - 1;
      slots[b].first = who;
      slots[b].num_requesters = 1;
      *out++ = block_ref{piece_index{p}, block_index{b}};
    }
    mask[w] = bits;
  }
  s.n += taken;
  rec.free -= taken;
  rec.requested += taken;
  if (rec.free == 0) {
    remove_partial(r);
    set_unwanted(p);
  } else if (rec.partial_slot == npos) {
    add_partial(r);
  }
}

void piece_picker::pick_partial(pick_state& s) {
  // Mainline: from a seed, only the pieces started from a seed.
  const bool seed_only = s.seed && seed_finishes_own_;
  std::size_t i = 0;
  while (i < partial_.size()) {
    const download_record& rec = records_[partial_[i]];
    const std::uint32_t p = rec.piece;
    if (seed_only ? rec.seed_started : s.seed || s.peer.test(p)) {
      // Takes every free block (the record leaves partial_, another moves into
      // slot i) or fills the request.
      take_blocks(s, p);
      if (s.done()) return;
      continue;
    }
    ++i;
  }
}

void piece_picker::pick_ordered(pick_state& s) {
  if (dirty_) rebuild_order();
  // Two ways to find the first piece of the order the peer has: scan the bands,
  // one step per piece it lacks, or walk the words of wanted_ & peer_has and rank
  // each piece found (walk_cost). Costs in scan steps: a word ~1/2, a piece ~3.
  const auto words = static_cast<std::uint32_t>(wanted_.words().size());
  const auto walk_cost = [&](std::uint64_t pieces) { return words / 2 + 3 * pieces; };
  const std::uint64_t have = s.peer.count();
  // A sparse peer: the expected misses before a hit (pieces / have) exceed the walk.
  if (!s.seed && have * walk_cost(have * in_order_ / num_pieces_) < num_pieces_) {
    pick_by_bits(s);
    return;
  }
  const std::uint64_t* const peer = s.peer.words().data();
  const std::uint64_t any = s.seed ? 1 : 0;
  std::uint64_t budget = 16 + words / 3;  // misses allowed before reconsidering
  bool counted = false;
  std::uint64_t misses = 0;
  for (std::size_t b = 1; b < bands_.size(); ++b) {
    std::size_t j = 0;
    for (;;) {
      // Find the next piece of band b the peer has, within the budget.
      const piece_index* const band = bands_[b].data();
      const std::size_t size = bands_[b].size();
      std::uint64_t left = budget - misses;
      std::size_t k = j;
      while (k < size && left != 0) {
        const std::uint32_t p = band[k].value();
        if (((peer[p / 64] >> (p % 64)) | any) & 1u) break;
        ++k;
        --left;
      }
      misses = budget - left;
      j = k;
      if (j < size && left != 0) {
        // Unless the request is full, the piece leaves the band and the band's
        // last piece, not looked at yet, takes slot j.
        take_blocks(s, band[j].value());
        if (s.done()) return;
        continue;
      }
      if (left != 0) break;  // band done
      if (counted) {
        // The scan has cost as much as the walk: walk (at most twice the best).
        pick_by_bits(s);
        return;
      }
      // Count the peer's wanted pieces; walk now if even evenly spread they lie
      // further apart than the walk costs, else give the scan that much more.
      counted = true;
      const auto wanted = wanted_.words();
      std::uint64_t m = 0;
      for (std::size_t w = 0; w < wanted.size(); ++w)
        m += popcount64(wanted[w] & peer[w]);
      if (m == 0) return;
      if ((in_order_ - misses) / (m + 1) > walk_cost(m)) {
        pick_by_bits(s);
        return;
      }
      budget = misses + walk_cost(m);
    }
  }
  // Wanted pieces that no counted peer has are outside the bands.
  if (wanted_.count() > in_order_) pick_by_bits(s);
}

void piece_picker::pick_by_bits(pick_state& s) {
  const auto wanted = wanted_.words();
  const auto peer = s.peer.words();
  const std::uint64_t all = s.seed ? ~std::uint64_t{0} : 0;
  // Each round takes the piece the scan would meet first: lowest band, then
  // lowest slot; pieces outside the bands (availability 0) last, by index.
  while (!s.done()) {
    std::uint64_t best_rank = ~std::uint64_t{0};
    std::uint32_t best = npos;
    for (std::size_t w = 0; w < wanted.size(); ++w) {
      std::uint64_t bits = wanted[w] & (peer[w] | all);
      while (bits != 0) {
        const auto p = static_cast<std::uint32_t>(w * 64 + std::countr_zero(bits));
        bits &= bits - 1;
        const piece_entry& e = entries_[p];
        const std::uint64_t band = band_of(e);
        const std::uint64_t rank = band != 0 ? band << 32 | e.pos : ~std::uint64_t{0} << 32 | p;
        if (rank < best_rank) {
          best_rank = rank;
          best = p;
        }
      }
    }
    if (best == npos) return;
    take_blocks(s, best);
  }
}

void piece_picker::pick_lowest(pick_state& s, std::uint32_t from) {
  const auto wanted = wanted_.words();
  const auto peer = s.peer.words();
  while (sequential_word_ < wanted.size() && wanted[sequential_word_] == 0)
    ++sequential_word_;
  const std::size_t first = std::max<std::size_t>(sequential_word_, from / 64);
  for (std::size_t w = first; w < wanted.size(); ++w) {
    std::uint64_t bits = wanted[w] & (s.seed ? ~std::uint64_t{0} : peer[w]);
    if (w == from / 64) bits &= ~low_bits(from % 64);
    while (bits != 0) {
      const auto p = static_cast<std::uint32_t>(w * 64 + std::countr_zero(bits));
      bits &= bits - 1;
      take_blocks(s, p);
      if (s.done()) return;
    }
  }
}

void piece_picker::pick_random_first(pick_state& s) {
  const auto wanted = wanted_.words();
  const auto peer = s.peer.words();
  const std::uint64_t all = s.seed ? ~std::uint64_t{0} : 0;
  while (!s.done()) {
    std::uint32_t total = 0;
    for (std::size_t w = 0; w < wanted.size(); ++w)
      total += popcount64(wanted[w] & (peer[w] | all));
    if (total == 0) return;
    std::uint32_t r = random_below(total);
    for (std::size_t w = 0; w < wanted.size(); ++w) {
      std::uint64_t bits = wanted[w] & (peer[w] | all);
      const auto c = popcount64(bits);
      if (r >= c) {
        r -= c;
        continue;
      }
      for (; r > 0; --r)
        bits &= bits - 1;
      take_blocks(s, static_cast<std::uint32_t>(w * 64 + std::countr_zero(bits)));
      break;
    }
  }
}

void piece_picker::pick_endgame(pick_state& s) {
  const std::uint32_t levels = options_.max_endgame_duplicates;
  if (levels == 0) return;
  if (!endgame_index_) build_endgame_index();
  for (std::uint32_t level = 1; level <= levels; ++level) {
    const std::vector<std::uint32_t>& records = level_records_[level - 1];
    std::size_t i = 0;
    while (i < records.size()) {
      const std::uint32_t r = records[i];
      download_record& rec = records_[r];
      if (s.seed || s.peer.test(rec.piece)) {
        block_slot* const slots = blocks_.data() + std::size_t{r} * blocks_per_piece_;
        for (std::uint32_t b = 0; b < rec.num_blocks; ++b) {
          block_slot& slot = slots[b];
          if (slot.received || slot.num_requesters != level) continue;
          if (has_requester(rec, slot, b, s.who)) continue;
          add_requester(s, r, b);  // may drop r from `records`
          if (s.done()) return;
        }
      }
      if (i < records.size() && records[i] == r) ++i;
    }
  }
}

void piece_picker::duplicate_blocks(pick_state& s, std::uint32_t p) {
  const std::uint32_t r = record_of_[p];
  if (r == npos) return;
  const std::uint32_t most = 1 + options_.max_endgame_duplicates;
  download_record& rec = records_[r];
  block_slot* const slots = blocks_.data() + std::size_t{r} * blocks_per_piece_;
  for (std::uint32_t b = 0; b < rec.num_blocks && !s.done(); ++b) {
    block_slot& slot = slots[b];
    if (slot.received || slot.num_requesters == 0 || slot.num_requesters >= most) continue;
    if (has_requester(rec, slot, b, s.who)) continue;
    add_requester(s, r, b);
  }
}

void piece_picker::add_requester(pick_state& s, std::uint32_t r, std::uint32_t b) {
  download_record& rec = records_[r];
  block_slot& slot = blocks_[std::size_t{r} * blocks_per_piece_ + b];
  rec.extra.push_back(extra_requester{b, s.who});
  ++slot.num_requesters;
  change_level(r, slot.num_requesters - 1u, slot.num_requesters);
  s.out.push_back(block_ref{piece_index{rec.piece}, block_index{b}});
  ++s.n;
}

void piece_picker::build_endgame_index() {
  const std::uint32_t levels = options_.max_endgame_duplicates;
  level_records_.resize(levels);
  for (auto& records : level_records_)
    records.clear();
  level_count_.assign(records_.size() * levels, 0);
  level_slot_.assign(records_.size() * levels, npos);
  endgame_index_ = true;
  for (const std::uint32_t r : active_) {
    const block_slot* const slots = blocks_.data() + std::size_t{r} * blocks_per_piece_;
    for (std::uint32_t b = 0; b < records_[r].num_blocks; ++b)
      if (!slots[b].received) change_level(r, 0, slots[b].num_requesters);
  }
}

void piece_picker::change_level(std::uint32_t r, std::uint32_t from, std::uint32_t to) {
  if (!endgame_index_) return;
  const std::uint32_t levels = options_.max_endgame_duplicates;
  if (from >= 1 && from <= levels) {
    const std::size_t at = std::size_t{r} * levels + from - 1;
    if (--level_count_[at] == 0) {
      std::vector<std::uint32_t>& records = level_records_[from - 1];
      const std::uint32_t slot = level_slot_[at];
      const std::uint32_t last = records.back();
      records[slot] = last;
      level_slot_[std::size_t{last} * levels + from - 1] = slot;
      records.pop_back();
      level_slot_[at] = npos;
    }
  }
  if (to >= 1 && to <= levels) {
    const std::size_t at = std::size_t{r} * levels + to - 1;
    if (level_count_[at]++ == 0) {
      std::vector<std::uint32_t>& records = level_records_[to - 1];
      level_slot_[at] = static_cast<std::uint32_t>(records.size());
      records.push_back(r);
    }
  }
}

// --- block lifecycle ---

piece_picker::received_result piece_picker::mark_received(block_ref b, requester from) {
  received_result result;
  const std::uint32_t p = b.piece.value();
  const std::uint32_t block = b.block.value();
  if (p >= num_pieces_ || have_.test(p) || block >= blocks_in(p)) return result;
  std::uint32_t r = record_of_[p];
  if (r == npos) r = open_record(p);  // an unrequested block of an untouched piece
  download_record& rec = records_[r];
  block_slot& slot = blocks_[std::size_t{r} * blocks_per_piece_ + block];
  if (slot.received) return result;
  bool was_free = false;
  if (slot.num_requesters > 0) {
    if (endgame_index_) change_level(r, slot.num_requesters, 0);
    if (slot.first != from) result.cancel.push_back(slot.first);
    if (slot.num_requesters > 1) {
      auto keep = rec.extra.begin();
      for (auto it = rec.extra.begin(); it != rec.extra.end(); ++it) {
        if (it->block != block) {
          *keep++ = *it;
        } else if (it->who != from) {
          result.cancel.push_back(it->who);
        }
      }
      rec.extra.erase(keep, rec.extra.end());
    }
    --rec.requested;
  } else {
    free_masks_[std::size_t{r} * mask_words_ + block / 64] &= ~(std::uint64_t{1} << (block % 64));
    --rec.free;
    was_free = true;
  }
  slot.num_requesters = 0;
  slot.first = requester{};
  slot.received = 1;
  ++rec.received;
  result.accepted = true;
  if (was_free && rec.free == 0) {
    remove_partial(r);
    set_unwanted(p);
  }
  if (rec.received == rec.num_blocks) {
    close_record(r);
    have_.set(p);
    entries_[p].flags |= flag_have;
    result.piece_complete = true;
  } else if (was_free && rec.free > 0 && rec.partial_slot == npos) {
    add_partial(r);
  }
  return result;
}

void piece_picker::abort_request(block_ref b, requester who) {
  const std::uint32_t p = b.piece.value();
  const std::uint32_t block = b.block.value();
  if (p >= num_pieces_ || block >= blocks_in(p)) return;
  const std::uint32_t r = record_of_[p];
  if (r == npos) return;
  download_record& rec = records_[r];
  block_slot& slot = blocks_[std::size_t{r} * blocks_per_piece_ + block];
  if (slot.received || slot.num_requesters == 0) return;
  const auto this_block = [&](const extra_requester& x) { return x.block == block; };
  if (slot.first == who) {
    // Promote another requester of this block, if there is one.
    const auto it = std::find_if(rec.extra.begin(), rec.extra.end(), this_block);
    if (it != rec.extra.end()) {
      slot.first = it->who;
      *it = rec.extra.back();
      rec.extra.pop_back();
    }
  } else {
    const auto it = std::find_if(rec.extra.begin(), rec.extra.end(), [&](const extra_requester& x) {
      return x.block == block && x.who == who;
    });
    if (it == rec.extra.end()) return;
    *it = rec.extra.back();
    rec.extra.pop_back();
  }
  if (endgame_index_) change_level(r, slot.num_requesters, slot.num_requesters - 1u);
  if (--slot.num_requesters > 0) return;
  slot.first = requester{};
  --rec.requested;
  ++rec.free;
  free_masks_[std::size_t{r} * mask_words_ + block / 64] |= std::uint64_t{1} << (block % 64);
  if (rec.free == 1) set_wanted(p);
  if (rec.requested == 0 && rec.received == 0)
    close_record(r);
  else if (rec.partial_slot == npos)
    add_partial(r);
}

void piece_picker::reset_piece(piece_index piece) {
  const std::uint32_t p = piece.value();
  if (p >= num_pieces_) return;
  if (record_of_[p] != npos) close_record(record_of_[p]);
  have_.reset(p);
  piece_entry& e = entries_[p];
  e.flags &= static_cast<std::uint8_t>(~flag_have);
  if (use_bands_ && !(e.flags & flag_listed)) {
    // Back among the missing pieces, at a random place.
    e.flags |= flag_listed;
    const auto end = static_cast<std::uint32_t>(missing_order_.size());
    const std::uint32_t i = random_below(end + 1);
    missing_order_.push_back(i == end ? p : missing_order_[i]);
    missing_order_[i] = p;
  }
  if (!(entries_[p].flags & flag_wanted)) set_wanted(p);
}

// --- introspection ---

bool piece_picker::is_requested(block_ref b) const {
  const std::uint32_t p = b.piece.value();
  if (p >= num_pieces_ || b.block.value() >= blocks_in(p)) return false;
  const std::uint32_t r = record_of_[p];
  return r != npos &&
         blocks_[std::size_t{r} * blocks_per_piece_ + b.block.value()].num_requesters > 0;
}

bool piece_picker::is_received(block_ref b) const {
  const std::uint32_t p = b.piece.value();
  if (p >= num_pieces_ || b.block.value() >= blocks_in(p)) return false;
  if (have_.test(p)) return true;
  const std::uint32_t r = record_of_[p];
  return r != npos && blocks_[std::size_t{r} * blocks_per_piece_ + b.block.value()].received;
}

std::uint32_t piece_picker::num_requesters(block_ref b) const {
  const std::uint32_t p = b.piece.value();
  if (p >= num_pieces_ || b.block.value() >= blocks_in(p)) return 0;
  const std::uint32_t r = record_of_[p];
  return r == npos ? 0
                   : blocks_[std::size_t{r} * blocks_per_piece_ + b.block.value()].num_requesters;
}

}  // namespace swarmsim::protocol
