#pragma once
// Fuzz target: the bencode decoder (protocol/bencode.hpp) on arbitrary bytes.
// Properties checked:
// 1. A strict decode re-encodes to exactly the input (canonical form).
// 2. The lenient decoder accepts whatever the strict one does, with the same value;
//    what it accepts re-encodes to bytes the strict decoder reads back equal.
// 3. A smaller depth limit only refuses; it never changes an accepted value.
// 4. find_span returns a range inside the input that decodes on its own.

#include <cstdint>
#include <span>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "protocol/bencode.hpp"

namespace swarmsim::fuzz {

inline void bencode_one(std::span<const std::uint8_t> input) {
  namespace b = protocol::bencode;
  const b::decode_options strict_options{};
  const b::decode_options lenient_options{b::key_order::lenient, 64};
  const auto strict = b::decode(input, strict_options);
  const auto lenient = b::decode(input, lenient_options);
  if (strict) {
    check(b::encode(strict.get()) == std::vector<std::uint8_t>(input.begin(), input.end()),
          "a strict decode re-encodes to the input bytes");
    check(lenient && lenient.get() == strict.get(), "lenient accepts what strict accepts");
  } else {
    check(strict.error().offset <= input.size(), "the error offset lies within the input");
    check(!strict.error().text.empty(), "an error has a text");
  }
  if (lenient) {
    const auto again = b::decode(b::encode(lenient.get()), strict_options);
    check(again && again.get() == lenient.get(), "a lenient value re-encodes canonically");
  }
  const auto shallow = b::decode(input, b::decode_options{b::key_order::strict, 2});
  if (shallow) check(strict && shallow.get() == strict.get(), "a depth limit only refuses");

  const auto check_span = [&](std::initializer_list<b::path_element> path) {
    const auto span = b::find_span(input, path, lenient_options);
    if (!span) return;
    check(span->offset <= input.size() && span->size <= input.size() - span->offset,
          "find_span stays inside the input");
    check(b::decode(input.subspan(span->offset, span->size), lenient_options).ok(),
          "the span find_span returns decodes on its own");
  };
  check_span({"info"});
  check_span({0});
  check_span({"a", 1});
}

}  // namespace swarmsim::fuzz
