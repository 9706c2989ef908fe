// piece_picker::check_invariants() and requests(): kept apart from the picker's
// hot paths, which they only read.

#include <algorithm>
#include <bit>

#include "protocol/invariant.hpp"
#include "protocol/piece_picker.hpp"

namespace swarmsim::protocol {

std::vector<std::pair<block_ref, requester>> piece_picker::requests() const {
  std::vector<std::pair<block_ref, requester>> out;
  for (const std::uint32_t r : active_) {
    const download_record& rec = records_[r];
    const block_slot* const slots = blocks_.data() + std::size_t{r} * blocks_per_piece_;
    for (std::uint32_t b = 0; b < rec.num_blocks; ++b)
      if (slots[b].num_requesters > 0)
        out.emplace_back(block_ref{piece_index{rec.piece}, block_index{b}}, slots[b].first);
    for (const extra_requester& x : rec.extra)
      out.emplace_back(block_ref{piece_index{rec.piece}, block_index{x.block}}, x.who);
  }
  return out;
}

void piece_picker::check_invariants() const {
  require(entries_.size() == num_pieces_ && have_.size() == num_pieces_ &&
              wanted_.size() == num_pieces_ && record_of_.size() == num_pieces_,
          "piece_picker: tables sized {}, {}, {}, {} for {} pieces", entries_.size(), have_.size(),
          wanted_.size(), record_of_.size(), num_pieces_);
  check_records();
  check_pieces();
  if (use_bands_) check_bands();
  if (endgame_index_) check_endgame_index();
}

// Invariants 2, 4 and 9: block states, requesters, and the record lists.
void piece_picker::check_records() const {
  std::vector<std::uint8_t> listed(records_.size(), 0);
  for (std::size_t i = 0; i < active_.size(); ++i) {
    const std::uint32_t r = active_[i];
    require(r < records_.size() && !listed[r],
            "piece_picker invariant 9: active_[{}] = {} is out of range or listed twice", i, r);
    listed[r] = 1;
    const download_record& rec = records_[r];
    require(rec.active_slot == i,
            "piece_picker invariant 9: record {} in active_[{}] has active_slot {}", r, i,
            rec.active_slot);
    require(rec.piece < num_pieces_ && record_of_[rec.piece] == r,
            "piece_picker invariant 9: record {} of piece {} is not that piece's record", r,
            rec.piece);
    check_record(r);
  }
  for (const std::uint32_t r : free_records_) {
    require(r < records_.size() && !listed[r],
            "piece_picker invariant 9: free record {} is out of range, active or free twice", r);
    listed[r] = 2;
  }
  require(active_.size() + free_records_.size() == records_.size(),
          "piece_picker invariant 9: {} active and {} free records of {}", active_.size(),
          free_records_.size(), records_.size());
  for (std::size_t i = 0; i < partial_.size(); ++i) {
    const std::uint32_t r = partial_[i];
    require(r < records_.size() && listed[r] == 1 && records_[r].partial_slot == i,
            "piece_picker invariant 9: partial_[{}] = {} is not an active record in that slot", i,
            r);
  }
  std::size_t with_free = 0;
  for (const std::uint32_t r : active_)
    with_free += records_[r].free > 0;
  require(with_free == partial_.size(),
          "piece_picker invariant 9: {} records have free blocks, {} are in partial_", with_free,
          partial_.size());
  for (std::uint32_t p = 0; p < num_pieces_; ++p) {
    const std::uint32_t r = record_of_[p];
    require(r == npos || (r < records_.size() && listed[r] == 1 && records_[r].piece == p),
            "piece_picker invariant 9: piece {} names record {}, not an active record of it", p, r);
  }
}

void piece_picker::check_record(std::uint32_t r) const {
  const download_record& rec = records_[r];
  const std::uint32_t p = rec.piece;
  require(!have_.test(p), "piece_picker invariant 2: piece {} is complete but has record {}", p, r);
  require(rec.num_blocks == blocks_in(p),
          "piece_picker: record {} of piece {} has {} blocks, not {}", r, p, rec.num_blocks,
          blocks_in(p));
  const block_slot* const slots = blocks_.data() + std::size_t{r} * blocks_per_piece_;
  const std::uint64_t* const mask = free_masks_.data() + std::size_t{r} * mask_words_;
  const std::uint32_t most = 1 + options_.max_endgame_duplicates;
  std::uint32_t free = 0, requested = 0, received = 0;
  for (std::uint32_t b = 0; b < rec.num_blocks; ++b) {
    const block_slot& s = slots[b];
    const bool is_free = (mask[b / 64] >> (b % 64)) & 1u;
    const int states = int{is_free} + int{s.received != 0} + int{s.num_requesters > 0};
    require(
        states == 1,
        "piece_picker invariant 2: block {} of piece {} is free {}, received {}, requested by {}",
        b, p, is_free, s.received, s.num_requesters);
    require(s.num_requesters <= most,
            "piece_picker invariant 4: block {} of piece {} has {} requesters, at most {}", b, p,
            s.num_requesters, most);
    free += is_free;
    received += s.received != 0;
    requested += s.num_requesters > 0;
    // Its requesters: `first`, then the extra ones, all distinct.
    std::uint32_t extra = 0;
    for (const extra_requester& x : rec.extra) {
      if (x.block != b) continue;
      ++extra;
      require(x.who != s.first,
              "piece_picker invariant 4: block {} of piece {} requested twice by connection {}", b,
              p, x.who.value());
    }
    require(s.num_requesters == 0 ? extra == 0 : extra == s.num_requesters - 1u,
            "piece_picker invariant 4: block {} of piece {} counts {} requesters, lists {} extra",
            b, p, s.num_requesters, extra);
  }
  for (std::size_t i = 0; i < rec.extra.size(); ++i) {
    const extra_requester& x = rec.extra[i];
    require(x.block < rec.num_blocks, "piece_picker: record {} lists block {} of {}", r, x.block,
            rec.num_blocks);
    for (std::size_t j = i + 1; j < rec.extra.size(); ++j)
      require(rec.extra[j].block != x.block || rec.extra[j].who != x.who,
              "piece_picker invariant 4: block {} of piece {} requested twice by connection {}",
              x.block, p, x.who.value());
  }
  std::uint32_t mask_free = 0;
  for (std::uint32_t w = 0; w < mask_words_; ++w)
    mask_free += static_cast<std::uint32_t>(std::popcount(mask[w]));
  require(rec.free == free && mask_free == free && rec.requested == requested &&
              rec.received == received,
          "piece_picker invariant 9: record {} of piece {} counts {} free, {} requested, {} "
          "received; its blocks {} ({} in the mask), {}, {}",
          r, p, rec.free, rec.requested, rec.received, free, mask_free, requested, received);
  require(requested + received > 0 && received < rec.num_blocks,
          "piece_picker invariant 9: record {} of piece {} has {} requested and {} received of {} "
          "blocks",
          r, p, requested, received, rec.num_blocks);
  require((rec.partial_slot != npos) == (rec.free > 0),
          "piece_picker invariant 9: record {} of piece {} has {} free blocks, partial slot {}", r,
          p, rec.free, rec.partial_slot);
}

// Invariants 2 and 6-8 as far as they concern single pieces.
void piece_picker::check_pieces() const {
  std::uint32_t zeros = 0;
  for (std::uint32_t p = 0; p < num_pieces_; ++p) {
    const piece_entry& e = entries_[p];
    zeros += e.count == 0;
    require(((e.flags & flag_have) != 0) == have_.test(p),
            "piece_picker invariant 2: piece {} has flag have {}, bit {}", p,
            (e.flags & flag_have) != 0, have_.test(p));
    const std::uint32_t r = record_of_[p];
    const bool has_free = r == npos || records_[r].free > 0;
    const bool wanted = !have_.test(p) && has_free;
    require(
        ((e.flags & flag_wanted) != 0) == wanted && wanted_.test(p) == wanted,
        "piece_picker invariant 6: piece {} (have {}, free block {}) has flag wanted {}, bit {}", p,
        have_.test(p), has_free, (e.flags & flag_wanted) != 0, wanted_.test(p));
  }
  require(zeros == zero_counts_, "piece_picker: {} pieces count 0, zero_counts_ {}", zeros,
          zero_counts_);
  if (order_ == piece_order::none) {
    const auto words = wanted_.words();
    for (std::size_t w = 0; w < std::min<std::size_t>(sequential_word_, words.size()); ++w)
      require(words[w] == 0,
              "piece_picker invariant 8: wanted_ word {} is not zero, below sequential_word_ {}", w,
              sequential_word_);
  }
}

// Invariant 7: the bands and the fixed random order of the missing pieces.
void piece_picker::check_bands() const {
  std::vector<std::uint8_t> seen(num_pieces_, 0);
  for (const std::uint32_t p : missing_order_) {
    require(p < num_pieces_ && !seen[p],
            "piece_picker invariant 7: missing_order_ lists piece {} twice or out of range", p);
    seen[p] = 1;
    require((entries_[p].flags & flag_listed) != 0,
            "piece_picker invariant 7: piece {} is in missing_order_ but not flagged listed", p);
  }
  for (std::uint32_t p = 0; p < num_pieces_; ++p) {
    require(seen[p] || ((entries_[p].flags & flag_listed) == 0 && have_.test(p)),
            "piece_picker invariant 7: piece {} (have {}) is missing from missing_order_", p,
            have_.test(p));
  }
  if (dirty_) return;  // only the counts are right until the next rebuild
  require(bands_.empty() || bands_[0].empty(), "piece_picker invariant 7: band 0 holds {} pieces",
          bands_.empty() ? 0 : bands_[0].size());
  std::fill(seen.begin(), seen.end(), 0);
  std::size_t in_bands = 0;
  const bool rarest = order_ == piece_order::availability;
  for (std::size_t b = 1; b < bands_.size(); ++b) {
    for (std::size_t i = 0; i < bands_[b].size(); ++i) {
      const std::uint32_t p = bands_[b][i].value();
      require(p < num_pieces_ && !seen[p],
              "piece_picker invariant 7: band {} slot {} holds piece {}, out of range or in a band "
              "twice",
              b, i, p);
      seen[p] = 1;
      const piece_entry& e = entries_[p];
      require(e.pos == i, "piece_picker invariant 7: piece {} in band {} slot {} has pos {}", p, b,
              i, e.pos);
      const bool below_base = rarest && e.count < band_base_;
      require(!below_base && band_of(e) == b,
              "piece_picker invariant 7: piece {} (count {}, band base {}, wanted {}) is in band "
              "{}, belongs in band {}",
              p, e.count, band_base_, (e.flags & flag_wanted) != 0, b, below_base ? 0 : band_of(e));
      ++in_bands;
    }
  }
  require(in_bands == in_order_, "piece_picker invariant 7: {} pieces in bands, in_order_ {}",
          in_bands, in_order_);
  for (std::uint32_t p = 0; p < num_pieces_; ++p) {
    const piece_entry& e = entries_[p];
    const bool belongs = (e.flags & flag_wanted) && (e.count != 0 || uniform_ + seeds_ > 0);
    require(belongs == (seen[p] != 0),
            "piece_picker invariant 7: piece {} (wanted {}, count {}, uniform {}, seeds {}) is in "
            "a band: {}",
            p, (e.flags & flag_wanted) != 0, e.count, uniform_, seeds_, seen[p] != 0);
  }
}

// The endgame index: for each record and level, the blocks with that many
// requesters, and the records listed per level.
void piece_picker::check_endgame_index() const {
  const std::uint32_t levels = options_.max_endgame_duplicates;
  require(level_records_.size() == levels && level_count_.size() >= records_.size() * levels &&
              level_slot_.size() == level_count_.size(),
          "piece_picker endgame index: sized {}, {}, {} for {} records x {} levels",
          level_records_.size(), level_count_.size(), level_slot_.size(), records_.size(), levels);
  std::vector<std::uint8_t> active(records_.size(), 0);
  for (const std::uint32_t r : active_)
    active[r] = 1;
  for (std::uint32_t r = 0; r < records_.size(); ++r) {
    std::vector<std::uint32_t> count(levels + 1, 0);
    if (active[r]) {
      const block_slot* const slots = blocks_.data() + std::size_t{r} * blocks_per_piece_;
      for (std::uint32_t b = 0; b < records_[r].num_blocks; ++b)
        if (!slots[b].received && slots[b].num_requesters >= 1 && slots[b].num_requesters <= levels)
          ++count[slots[b].num_requesters];
    }
    for (std::uint32_t l = 1; l <= levels; ++l) {
      const std::size_t at = std::size_t{r} * levels + l - 1;
      require(level_count_[at] == count[l],
              "piece_picker endgame index: record {} has {} blocks of {} requesters, counted {}", r,
              count[l], l, level_count_[at]);
      const std::uint32_t slot = level_slot_[at];
      const auto& records = level_records_[l - 1];
      require(count[l] == 0 ? slot == npos : slot < records.size() && records[slot] == r,
              "piece_picker endgame index: record {} level {} has slot {}", r, l, slot);
    }
  }
  for (std::uint32_t l = 1; l <= levels; ++l)
    for (const std::uint32_t r : level_records_[l - 1])
      require(r < records_.size() && level_count_[std::size_t{r} * levels + l - 1] > 0,
              "piece_picker endgame index: level {} lists record {} with no such block", l, r);
}

}  // namespace swarmsim::protocol
