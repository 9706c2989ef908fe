#pragma once
// A fixed-size set of piece numbers (which pieces a peer has).
//
// 1. Bits are kept in 64-bit words, bit i in word i/64 at position i%64; bits past
//    size() in the last word are always zero.
// 2. count() is cached and always equals the number of set bits.
// 3. The wire form (BEP 3) is big-endian by bit: piece 0 is the high bit of byte 0;
//    to_bytes()/from_bytes() convert, and from_bytes() rejects set spare bits.
// 4. The object is 16 bytes (words pointer, size, count) so that a session's
//    hot fields, this one included, share one cache line (protocol/session.hpp).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/types.hpp"

namespace swarmsim::protocol {

class bitfield {
 public:
  bitfield() = default;
  explicit bitfield(std::uint32_t size, bool value = false);
  bitfield(const bitfield& other);
  bitfield& operator=(const bitfield& other);
  // A moved-from bitfield is empty (size 0).
  bitfield(bitfield&& other) noexcept
      : words_(std::move(other.words_)),
        size_(std::exchange(other.size_, 0)),
        count_(std::exchange(other.count_, 0)) {}
  bitfield& operator=(bitfield&& other) noexcept {
    words_ = std::move(other.words_);
    size_ = std::exchange(other.size_, 0);
    count_ = std::exchange(other.count_, 0);
    return *this;
  }
  ~bitfield() = default;

  // "1101 0" style: '1', 'x', '*' or '#' set a bit; '0', '.', '-' or ' ' clear one.
  static bitfield from_string(std::string_view pattern);
  // BEP 3 wire bytes for `size` bits; nullopt if the length is wrong or spare bits are set.
  static std::optional<bitfield> from_bytes(std::span<const std::uint8_t> bytes,
                                            std::uint32_t size);

  std::uint32_t size() const { return size_; }
  std::uint32_t count() const { return count_; }
  bool all() const { return count_ == size_; }
  bool none() const { return count_ == 0; }

  bool test(std::uint32_t i) const { return (words_[i >> 6] >> (i & 63)) & 1u; }
  bool test(piece_index p) const { return test(p.value()); }
  // Cache hint: the word of bit i (i < size()).
  void prefetch(std::uint32_t i) const { __builtin_prefetch(words_.get() + (i >> 6)); }
  // Returns true if the bit changed.
  bool set(std::uint32_t i) {
    std::uint64_t& w = words_[i >> 6];
    const std::uint64_t m = std::uint64_t{1} << (i & 63);
    if (w & m) return false;
    w |= m;
    ++count_;
    return true;
  }
  bool set(piece_index p) { return set(p.value()); }
  bool reset(std::uint32_t i) {
    std::uint64_t& w = words_[i >> 6];
    const std::uint64_t m = std::uint64_t{1} << (i & 63);
    if (!(w & m)) return false;
    w &= ~m;
    --count_;
    return true;
  }
  bool reset(piece_index p) { return reset(p.value()); }
  void set_all();
  void reset_all();

  // True if this has a bit that `other` lacks (this & ~other is not empty).
  bool has_any_not_in(const bitfield& other) const;
  // Number of bits set here and not in `other`.
  std::uint32_t count_not_in(const bitfield& other) const;

  // Calls f(i) for each set bit in increasing order.
  template <typename F>
  void for_each_set(F&& f) const {
    for (std::size_t w = 0; w < num_words(); ++w) {
      std::uint64_t bits = words_[w];
      while (bits) {
        const int b = std::countr_zero(bits);
        f(static_cast<std::uint32_t>(w * 64 + b));
        bits &= bits - 1;
      }
    }
  }

  std::vector<std::uint8_t> to_bytes() const;
  std::size_t byte_size() const { return (size_ + 7) / 8; }
  std::string to_string() const;  // "1101..." one char per piece

  std::span<const std::uint64_t> words() const { return {words_.get(), num_words()}; }

  friend bool operator==(const bitfield& a, const bitfield& b) {
    const auto aw = a.words();
    return a.size_ == b.size_ && std::equal(aw.begin(), aw.end(), b.words().begin());
  }

 private:
  std::size_t num_words() const { return (static_cast<std::size_t>(size_) + 63) / 64; }
  std::span<std::uint64_t> mutable_words() { return {words_.get(), num_words()}; }
  void clear_spare_bits();
  std::unique_ptr<std::uint64_t[]> words_;
  std::uint32_t size_ = 0;
  std::uint32_t count_ = 0;
};

}  // namespace swarmsim::protocol
