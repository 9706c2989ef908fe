#pragma once
// Bencoding (BEP 3): values, an encoder, and a bounded, validating decoder.
//
// value keeps one of: a signed 64-bit integer, a byte string (std::string holding
// raw bytes), a list, or a dictionary keyed by byte strings.
// 1. Dictionary keys are unique and ordered as raw bytes (std::string compares as
//    unsigned char), so encode() always writes the canonical form.
//
// The decoder accepts exactly one value covering the whole input and reports the
// byte offset of the first problem. Its rules:
// 1. Integers are canonical: no leading zeros ("i03e"), no "-0", no empty "ie",
//    and they fit in int64. String lengths have no leading zeros either.
// 2. A string length larger than the bytes left is rejected before any copy.
// 3. Lists and dictionaries nest at most max_depth deep (64 by default), so
//    recursion and memory stay bounded on hostile input.
// 4. Duplicate dictionary keys are always rejected. Keys out of order are rejected
//    under key_order::strict (the default; canonical input only) and accepted under
//    key_order::lenient, since some torrent makers write them unsorted. A value
//    decoded leniently re-encodes sorted, so its bytes may differ from the input:
//    hash raw spans (find_span), never re-encoded values.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace swarmsim::protocol::bencode {

class value {
 public:
  using integer = std::int64_t;
  using string = std::string;
  using list = std::vector<value>;
  using dict = std::map<std::string, value, std::less<>>;

  value() : v_(integer{0}) {}
  template <std::integral I>
  requires(!std::same_as<I, bool>) value(I i) : v_(static_cast<integer>(i)) {}
  value(std::string s) : v_(std::move(s)) {}
  value(std::string_view s) : v_(std::string(s)) {}
  value(const char* s) : v_(std::string(s)) {}
  value(list l) : v_(std::move(l)) {}
  value(dict d) : v_(std::move(d)) {}

  bool is_integer() const { return std::holds_alternative<integer>(v_); }
  bool is_string() const { return std::holds_alternative<string>(v_); }
  bool is_list() const { return std::holds_alternative<list>(v_); }
  bool is_dict() const { return std::holds_alternative<dict>(v_); }

  // nullptr when the value holds another kind.
  const integer* as_integer() const { return std::get_if<integer>(&v_); }
  const string* as_string() const { return std::get_if<string>(&v_); }
  const list* as_list() const { return std::get_if<list>(&v_); }
  list* as_list() { return std::get_if<list>(&v_); }
  const dict* as_dict() const { return std::get_if<dict>(&v_); }
  dict* as_dict() { return std::get_if<dict>(&v_); }

  // The entry for key in a dictionary; nullptr if absent or not a dictionary.
  const value* find(std::string_view key) const;

  // Calls f with the held integer, string, list or dict.
  template <typename F>
  decltype(auto) visit(F&& f) const {
    return std::visit(std::forward<F>(f), v_);
  }

  friend bool operator==(const value&, const value&) = default;

 private:
  std::variant<integer, string, list, dict> v_;
};

// Appends the canonical encoding of v to out.
void encode(const value& v, std::vector<std::uint8_t>& out);
std::vector<std::uint8_t> encode(const value& v);

enum class key_order : std::uint8_t { strict, lenient };

struct decode_options {
  key_order keys = key_order::strict;
  std::size_t max_depth = 64;  // nested lists/dictionaries
};

struct decode_error {
  std::size_t offset = 0;  // of the offending byte; input size for a truncated input
  std::string text;
  friend bool operator==(const decode_error&, const decode_error&) = default;
};

class decode_result {
 public:
  decode_result(value&& v) : v_(std::in_place_type<value>, std::move(v)) {}
  decode_result(decode_error e) : v_(std::in_place_type<decode_error>, std::move(e)) {}

  bool ok() const { return std::holds_alternative<value>(v_); }
  explicit operator bool() const { return ok(); }
  // Preconditions: ok() / !ok() respectively.
  const value& get() const& { return std::get<value>(v_); }
  value&& get() && { return std::get<value>(std::move(v_)); }
  const decode_error& error() const { return std::get<decode_error>(v_); }

 private:
  std::variant<value, decode_error> v_;
};

decode_result decode(std::span<const std::uint8_t> input, const decode_options& options = {});
decode_result decode(std::string_view input, const decode_options& options = {});

// A step into a nested value: a dictionary key or a list index.
class path_element {
 public:
  path_element(std::string_view key) : v_(key) {}
  path_element(const char* key) : v_(std::string_view(key)) {}
  path_element(std::size_t index) : v_(index) {}
  path_element(int index) : v_(static_cast<std::size_t>(index)) {}

  const std::string_view* key() const { return std::get_if<std::string_view>(&v_); }
  const std::size_t* index() const { return std::get_if<std::size_t>(&v_); }

 private:
  std::variant<std::string_view, std::size_t> v_;
};

struct byte_range {
  std::size_t offset = 0;
  std::size_t size = 0;
  friend bool operator==(const byte_range&, const byte_range&) = default;
};

// Where the value at `path` lies within `input`, byte for byte as written (e.g.
// {"info"} for the info dictionary whose SHA-1 is a torrent's info hash).
// nullopt if input is not valid under options or nothing is at path.
std::optional<byte_range> find_span(std::span<const std::uint8_t> input,
                                    std::initializer_list<path_element> path,
                                    const decode_options& options = {});

}  // namespace swarmsim::protocol::bencode
