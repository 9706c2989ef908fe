#include "protocol/bencode.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <set>

namespace swarmsim::protocol::bencode {

const value* value::find(std::string_view key) const {
  const dict* d = as_dict();
  if (!d) return nullptr;
  const auto it = d->find(key);
  return it == d->end() ? nullptr : &it->second;
}

namespace {

void put(std::vector<std::uint8_t>& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

void put_number(std::vector<std::uint8_t>& out, std::int64_t n) {
  char buf[24];
  const auto r = std::to_chars(std::begin(buf), std::end(buf), n);
  out.insert(out.end(), buf, r.ptr);
}

void put_string(std::vector<std::uint8_t>& out, std::string_view s) {
  put_number(out, static_cast<std::int64_t>(s.size()));
  out.push_back(':');
  put(out, s);
}

struct encoder {
  std::vector<std::uint8_t>& out;

  void operator()(value::integer i) const {
    out.push_back('i');
    put_number(out, i);
    out.push_back('e');
  }
  void operator()(const value::string& s) const { put_string(out, s); }
  void operator()(const value::list& l) const {
    out.push_back('l');
    for (const value& v : l)
      encode(v, out);
    out.push_back('e');
  }
  void operator()(const value::dict& d) const {
    out.push_back('d');
    for (const auto& [k, v] : d) {
      put_string(out, k);
      encode(v, out);
    }
    out.push_back('e');
  }
};

// Text for a key in an error message: printable ASCII kept, other bytes as \xNN,
// long keys cut short.
std::string printable(std::string_view s) {
  constexpr std::size_t max_shown = 40;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  if (s.size() > max_shown) out += "...";
  return out;
}

bool is_digit(std::uint8_t c) {
  return c >= '0' && c <= '9';
}

// A recursive-descent parser over one input. parse_value() builds into *out, or
// only validates and skips the value when out is null.
class parser {
 public:
  parser(std::span<const std::uint8_t> in, const decode_options& options)
      : in_(in), options_(options) {}

  std::size_t pos() const { return pos_; }
  void seek(std::size_t pos) { pos_ = pos; }
  bool at_end() const { return pos_ >= in_.size(); }
  std::uint8_t peek() const { return in_[pos_]; }
  const std::optional<decode_error>& error() const { return error_; }

  bool parse_value(value* out, std::size_t depth) {
    if (at_end()) return truncated();
    const std::uint8_t c = peek();
    if (c == 'i') {
      value::integer i = 0;
      if (!parse_integer(i)) return false;
      if (out) *out = i;
      return true;
    }
    if (is_digit(c)) {
      std::string_view s;
      if (!parse_string(s)) return false;
      if (out) *out = value::string(s);
      return true;
    }
    if (c == 'l' || c == 'd') {
      if (depth >= options_.max_depth)
        return fail(pos_, fmt::format("nesting deeper than {} levels", options_.max_depth));
      return c == 'l' ? parse_list(out, depth + 1) : parse_dict(out, depth + 1);
    }
    return fail(pos_, fmt::format("unexpected byte {}, expected a value", describe(c)));
  }

  // At the first digit of a string's length.
  bool parse_string(std::string_view& out) {
    const std::size_t start = pos_;
    const std::size_t remaining_at_start = in_.size() - start;
    std::size_t length = 0;
    std::size_t digits = 0;
    while (!at_end() && is_digit(peek())) {
      if (digits == 1 && length == 0) return fail(start, "leading zero in string length");
      length = length * 10 + (peek() - '0');
      ++digits;
      ++pos_;
      // Stop as soon as the length cannot fit: no overflow, no allocation.
      if (length > remaining_at_start)
        return fail(start, fmt::format("string length exceeds the {} bytes left in the input",
                                       remaining_at_start));
    }
    if (at_end()) return truncated();
    if (peek() != ':')
      return fail(
          pos_, fmt::format("unexpected byte {} in string length, expected ':'", describe(peek())));
    ++pos_;
    if (length > in_.size() - pos_)
      return fail(start, fmt::format("string length {} exceeds the {} bytes left in the input",
                                     length, in_.size() - pos_));
    out = std::string_view(reinterpret_cast<const char*>(in_.data() + pos_), length);
    pos_ += length;
    return true;
  }

 private:
  // At 'i'.
  bool parse_integer(value::integer& out) {
    ++pos_;
    const bool negative = !at_end() && peek() == '-';
    if (negative) ++pos_;
    if (at_end()) return truncated();
    if (!is_digit(peek()))
      return fail(pos_,
                  fmt::format("unexpected byte {} in integer, expected a digit", describe(peek())));
    if (peek() == '0') {
      if (negative) return fail(pos_, "negative zero");
      if (pos_ + 1 < in_.size() && is_digit(in_[pos_ + 1]))
        return fail(pos_, "leading zero in integer");
    }
    const std::size_t first_digit = pos_;
    // Magnitude limit: 2^63 for negative numbers, 2^63 - 1 for positive ones.
    const std::uint64_t limit =
        std::uint64_t{std::numeric_limits<value::integer>::max()} + (negative ? 1 : 0);
    std::uint64_t magnitude = 0;
    while (!at_end() && is_digit(peek())) {
      const std::uint64_t digit = peek() - '0';
      if (magnitude > (limit - digit) / 10)
        return fail(first_digit, "integer does not fit in 64 bits");
      magnitude = magnitude * 10 + digit;
      ++pos_;
    }
    if (at_end()) return truncated();
    if (peek() != 'e')
      return fail(pos_, fmt::format("unexpected byte {} in integer, expected a digit or 'e'",
                                    describe(peek())));
    ++pos_;
    out = negative ? static_cast<value::integer>(0 - magnitude)
                   : static_cast<value::integer>(magnitude);
    return true;
  }

  // At 'l'.
  bool parse_list(value* out, std::size_t depth) {
    ++pos_;
    value::list items;
    while (true) {
      if (at_end()) return truncated();
      if (peek() == 'e') break;
      value item;
      if (!parse_value(out ? &item : nullptr, depth)) return false;
      if (out) items.push_back(std::move(item));
    }
    ++pos_;
    if (out) *out = std::move(items);
    return true;
  }

  // At 'd'.
  bool parse_dict(value* out, std::size_t depth) {
    ++pos_;
    value::dict entries;
    std::set<std::string_view> seen;  // lenient mode only: keys may come in any order
    std::optional<std::string_view> previous;
    while (true) {
      if (at_end()) return truncated();
      if (peek() == 'e') break;
      const std::size_t key_offset = pos_;
      if (!is_digit(peek()))
        return fail(pos_, fmt::format("unexpected byte {}, expected a dictionary key (a string)",
                                      describe(peek())));
      std::string_view key;
      if (!parse_string(key)) return false;
      if (options_.keys == key_order::strict) {
        if (previous && key == *previous)
          return fail(key_offset, fmt::format("duplicate dictionary key \"{}\"", printable(key)));
        if (previous && key < *previous)
          return fail(key_offset,
                      fmt::format("dictionary key \"{}\" is out of order (after \"{}\")",
                                  printable(key), printable(*previous)));
        previous = key;
      } else if (!seen.insert(key).second) {
        return fail(key_offset, fmt::format("duplicate dictionary key \"{}\"", printable(key)));
      }
      value item;
      if (!parse_value(out ? &item : nullptr, depth)) return false;
      if (out) entries.emplace_hint(entries.end(), std::string(key), std::move(item));
    }
    ++pos_;
    if (out) *out = std::move(entries);
    return true;
  }

  static std::string describe(std::uint8_t c) {
    if (c >= 0x20 && c < 0x7f) return fmt::format("'{}'", static_cast<char>(c));
    return fmt::format("0x{:02x}", c);
  }

  bool truncated() { return fail(in_.size(), "unexpected end of input"); }

  bool fail(std::size_t offset, std::string text) {
    error_ = decode_error{offset, std::move(text)};
    return false;
  }

  std::span<const std::uint8_t> in_;
  const decode_options& options_;
  std::size_t pos_ = 0;
  std::optional<decode_error> error_;
};

// Validates the whole input as one value; on success the parser is at the end.
bool parse_whole(parser& p, value* out) {
  if (!p.parse_value(out, 0)) return false;
  return p.at_end();
}

}  // namespace

void encode(const value& v, std::vector<std::uint8_t>& out) {
  v.visit(encoder{out});
}

std::vector<std::uint8_t> encode(const value& v) {
  std::vector<std::uint8_t> out;
  encode(v, out);
  return out;
}

decode_result decode(std::span<const std::uint8_t> input, const decode_options& options) {
  parser p(input, options);
  value v;
  if (!p.parse_value(&v, 0)) return *p.error();
  if (!p.at_end()) return decode_error{p.pos(), "trailing data after the value"};
  return v;
}

decode_result decode(std::string_view input, const decode_options& options) {
  return decode(std::span(reinterpret_cast<const std::uint8_t*>(input.data()), input.size()),
                options);
}

std::optional<byte_range> find_span(std::span<const std::uint8_t> input,
                                    std::initializer_list<path_element> path,
                                    const decode_options& options) {
  parser p(input, options);
  if (!parse_whole(p, nullptr)) return std::nullopt;

  // The input is valid: walk it, skipping the values off the path. Depth starts
  // at 0 again, which only loosens the (already passed) depth check.
  std::size_t start = 0;
  for (const path_element& step : path) {
    p.seek(start);
    if (const std::string_view* key = step.key()) {
      if (p.peek() != 'd') return std::nullopt;
      p.seek(start + 1);
      bool found = false;
      while (!found && p.peek() != 'e') {
        std::string_view k;
        p.parse_string(k);
        if (k == *key) {
          start = p.pos();
          found = true;
        } else {
          p.parse_value(nullptr, 0);
        }
      }
      if (!found) return std::nullopt;
    } else {
      if (p.peek() != 'l') return std::nullopt;
      p.seek(start + 1);
      for (std::size_t i = 0; i < *step.index(); ++i) {
        if (p.peek() == 'e') return std::nullopt;
        p.parse_value(nullptr, 0);
      }
      if (p.peek() == 'e') return std::nullopt;
      start = p.pos();
    }
  }
  p.seek(start);
  p.parse_value(nullptr, 0);
  return byte_range{start, p.pos() - start};
}

}  // namespace swarmsim::protocol::bencode
