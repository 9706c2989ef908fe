#pragma once
// Text from outside (torrent names, file paths, scenario strings) made safe to
// print or to write into a structured file: it may hold bytes that are not
// UTF-8, and control characters that a terminal obeys (ESC sequences move the
// cursor, retitle the window, or worse).
//
// 1. utf8_sequence_length accepts exactly the well-formed sequences of Unicode
//    (Table 3-7): no overlong forms, no surrogates, nothing above U+10FFFF.
// 2. printable(text) holds no C0 or C1 control character, no DEL and no
//    invalid UTF-8; every other character is kept as it is but the backslash,
//    doubled so that an escape in the output always stands for one byte.

#include <cstddef>
#include <string>
#include <string_view>

namespace swarmsim::sim {

// The length (1 to 4) of the well-formed UTF-8 sequence at the start of `text`,
// or 0 if it does not start with one (or is empty).
std::size_t utf8_sequence_length(std::string_view text);

// The code point of a well-formed sequence of `length` bytes at the start of `text`.
char32_t utf8_code_point(std::string_view text, std::size_t length);

// `text` for a terminal: control characters (C0, DEL, C1) and bytes that are
// not UTF-8 written as \xNN, a backslash as \\ ; the rest unchanged.
std::string printable(std::string_view text);

}  // namespace swarmsim::sim
