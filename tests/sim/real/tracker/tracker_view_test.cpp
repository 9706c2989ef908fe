// The tracker's live view redraws its frame in place, and starts a fresh one
// after forget() (the process was in the background while others wrote).

#include "sim/real/tracker/tracker_view.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace swarmsim::sim::real {
namespace {

// What `draws` writes through a live_view.
template <typename Draws>
std::string frames(Draws&& draws) {
  std::FILE* f = std::tmpfile();
  {
    live_view view(f);
    draws(view);
  }
  std::string out(static_cast<std::size_t>(std::ftell(f)), '\0');
  std::rewind(f);
  EXPECT_EQ(std::fread(out.data(), 1, out.size(), f), out.size());
  std::fclose(f);
  return out;
}

TEST(live_view, replaces_the_previous_frame_unless_told_to_forget_it) {
  const std::string redrawn = frames([](live_view& v) {
    v.draw({"a", "b"});
    v.draw({"c"});
  });
  EXPECT_EQ(redrawn, "a\x1b[K\nb\x1b[K\n\x1b[J\x1b[2Fc\x1b[K\n\x1b[J");
  const std::string fresh = frames([](live_view& v) {
    v.draw({"a", "b"});
    v.forget();
    v.draw({"c"});
  });
  EXPECT_EQ(fresh, "a\x1b[K\nb\x1b[K\n\x1b[Jc\x1b[K\n\x1b[J");
}

}  // namespace
}  // namespace swarmsim::sim::real
