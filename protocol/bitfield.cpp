#include "protocol/bitfield.hpp"

#include <algorithm>
#include <stdexcept>

namespace swarmsim::protocol {

bitfield::bitfield(std::uint32_t size, bool value)
    : words_(size > 0 ? std::make_unique<std::uint64_t[]>((std::size_t{size} + 63) / 64) : nullptr),
      size_(size),
      count_(value ? size : 0) {
  if (value) std::ranges::fill(mutable_words(), ~std::uint64_t{0});
  clear_spare_bits();
}

bitfield::bitfield(const bitfield& other)
    : words_(other.size_ > 0 ? std::make_unique_for_overwrite<std::uint64_t[]>(other.num_words())
                             : nullptr),
      size_(other.size_),
      count_(other.count_) {
  std::ranges::copy(other.words(), words_.get());
}

bitfield& bitfield::operator=(const bitfield& other) {
  if (this == &other) return *this;
  if (num_words() != other.num_words())
    words_ = other.size_ > 0 ? std::make_unique_for_overwrite<std::uint64_t[]>(other.num_words())
                             : nullptr;
  size_ = other.size_;
  count_ = other.count_;
  std::ranges::copy(other.words(), words_.get());
  return *this;
}

bitfield bitfield::from_string(std::string_view pattern) {
  bitfield b(static_cast<std::uint32_t>(pattern.size()));
  for (std::uint32_t i = 0; i < pattern.size(); ++i) {
    switch (pattern[i]) {
      case '1':
      case 'x':
      case '*':
      case '#':
        b.set(i);
        break;
      case '0':
      case '.':
      case '-':
      case ' ':
        break;
      default:
        throw std::invalid_argument("bitfield pattern: unexpected character");
    }
  }
  return b;
}

std::optional<bitfield> bitfield::from_bytes(std::span<const std::uint8_t> bytes,
                                             std::uint32_t size) {
  if (bytes.size() != (static_cast<std::size_t>(size) + 7) / 8) return std::nullopt;
  bitfield b(size);
  for (std::size_t byte = 0; byte < bytes.size(); ++byte) {
    const std::uint8_t v = bytes[byte];
    if (v == 0) continue;
    for (int j = 0; j < 8; ++j) {
      if (!(v & (0x80u >> j))) continue;
      const std::size_t i = byte * 8 + static_cast<std::size_t>(j);
      if (i >= size) return std::nullopt;  // spare bits must be zero (BEP 3)
      b.set(static_cast<std::uint32_t>(i));
    }
  }
  return b;
}

void bitfield::set_all() {
  std::ranges::fill(mutable_words(), ~std::uint64_t{0});
  clear_spare_bits();
  count_ = size_;
}

void bitfield::reset_all() {
  std::ranges::fill(mutable_words(), 0);
  count_ = 0;
}

bool bitfield::has_any_not_in(const bitfield& other) const {
  const auto mine = words();
  const auto theirs = other.words();
  const std::size_t n = std::min(mine.size(), theirs.size());
  for (std::size_t w = 0; w < n; ++w)
    if (mine[w] & ~theirs[w]) return true;
  for (std::size_t w = n; w < mine.size(); ++w)
    if (mine[w]) return true;
  return false;
}

std::uint32_t bitfield::count_not_in(const bitfield& other) const {
  std::uint32_t c = 0;
  const auto mine = words();
  const auto theirs = other.words();
  const std::size_t n = std::min(mine.size(), theirs.size());
  for (std::size_t w = 0; w < n; ++w)
    c += std::popcount(mine[w] & ~theirs[w]);
  for (std::size_t w = n; w < mine.size(); ++w)
    c += std::popcount(mine[w]);
  return c;
}

std::vector<std::uint8_t> bitfield::to_bytes() const {
  std::vector<std::uint8_t> out(byte_size(), 0);
  for_each_set([&](std::uint32_t i) { out[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8)); });
  return out;
}

std::string bitfield::to_string() const {
  std::string s(size_, '0');
  for_each_set([&](std::uint32_t i) { s[i] = '1'; });
  return s;
}

void bitfield::clear_spare_bits() {
  if (size_ % 64 != 0) words_[num_words() - 1] &= (std::uint64_t{1} << (size_ % 64)) - 1;
}

}  // namespace swarmsim::protocol
