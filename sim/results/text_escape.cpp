#include "sim/results/text_escape.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace swarmsim::sim {

namespace {

bool continuation(unsigned char b, unsigned char low = 0x80, unsigned char high = 0xbf) {
  return b >= low && b <= high;
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text) {
  if (text.empty()) return 0;
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b = at(0);
  if (b < 0x80) return 1;
  // Lead byte -> length and the range of the second byte (Unicode Table 3-7).
  std::size_t n = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) {
    n = 2;
  } else if (b >= 0xe0 && b <= 0xef) {
    n = 3;
    if (b == 0xe0) low = 0xa0;   // no overlong forms
    if (b == 0xed) high = 0x9f;  // no surrogates
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4;
    if (b == 0xf0) low = 0x90;   // no overlong forms
    if (b == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < n || !continuation(at(1), low, high)) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (!continuation(at(i))) return 0;
  return n;
}

char32_t utf8_code_point(std::string_view text, std::size_t length) {
  const auto at = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(text[i]));
  };
  if (length == 1) return at(0);
  std::uint32_t cp = at(0) & (0x7fu >> length);
  for (std::size_t i = 1; i < length; ++i)
    cp = (cp << 6) | (at(i) & 0x3fu);
  return static_cast<char32_t>(cp);
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t n = utf8_sequence_length(text);
    const char32_t cp = n == 0 ? 0 : utf8_code_point(text, n);
    if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(static_cast<unsigned char>(text[0])));
      if (n > 1) {  // a C1 control: escape each of its bytes
        for (std::size_t i = 1; i < n; ++i)
          out +=
              fmt::format("\\x{:02x}", static_cast<unsigned>(static_cast<unsigned char>(text[i])));
      }
      text.remove_prefix(n == 0 ? 1 : n);
      continue;
    }
    if (cp == U'\\') {
      out += "\\\\";
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

}  // namespace swarmsim::sim
