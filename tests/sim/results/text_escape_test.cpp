#include "sim/results/text_escape.hpp"

#include <gtest/gtest.h>

#include <string>

namespace swarmsim::sim {
namespace {

TEST(utf8_sequence_length, accepts_well_formed_sequences_only) {
  EXPECT_EQ(utf8_sequence_length("a"), 1u);
  EXPECT_EQ(utf8_sequence_length("\xc3\xa9x"), 2u);
  EXPECT_EQ(utf8_sequence_length("\xe2\x82\xac"), 3u);
  EXPECT_EQ(utf8_sequence_length("\xf4\x8f\xbf\xbf"), 4u);  // U+10FFFF
  EXPECT_EQ(utf8_sequence_length(""), 0u);
  EXPECT_EQ(utf8_sequence_length("\x80"), 0u);              // a lone continuation
  EXPECT_EQ(utf8_sequence_length("\xc1\xbf"), 0u);          // overlong
  EXPECT_EQ(utf8_sequence_length("\xe0\x80\xaf"), 0u);      // overlong
  EXPECT_EQ(utf8_sequence_length("\xed\xb0\x80"), 0u);      // a surrogate
  EXPECT_EQ(utf8_sequence_length("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(utf8_sequence_length("\xe2\x82"), 0u);          // cut short
  EXPECT_EQ(utf8_code_point("\xe2\x82\xac", 3), U'\u20ac');
}

// A torrent name holding "ESC ] 0 ; title BEL" retitled the terminal of anyone
// who ran `swarmsim torrent show` on it; ESC [ 2 J cleared it.
TEST(printable, escapes_control_characters_and_bytes_that_are_not_utf8) {
  EXPECT_EQ(printable("movie.mkv"), "movie.mkv");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(printable("\x1b]0;pwned\x07x"), "\\x1b]0;pwned\\x07x");
  EXPECT_EQ(printable("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(printable("a\nb\rc\x7f"), "a\\x0ab\\x0dc\\x7f");
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\xc2\\x9b31m");  // C1 CSI
  EXPECT_EQ(printable("caf\xe9"), "caf\\xe9");
  EXPECT_EQ(printable("a\\x1b"), "a\\\\x1b");  // an escape in the output is always one byte
}

}  // namespace
}  // namespace swarmsim::sim
