// A group's `playback` field: read, defaulted, inherited, checked, written back.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "scenario_error.hpp"
#include "sim/scenario/scenario.hpp"

namespace swarmsim::sim {
namespace {

using std::chrono::seconds;
using testing::HasSubstr;

TEST(playback_schema, no_playback_by_default) {
  const scenario s = parse_scenario("groups: [{name: s, role: seed}, {name: l}]", "t");
  EXPECT_FALSE(s.groups[1].peer.playback.enabled());
  EXPECT_EQ(save_scenario(s).find("playback"), std::string::npos);  // left out
}

TEST(playback_schema, a_viewer_reads_to_its_options_and_reaches_the_peer) {
  const scenario s = parse_scenario(
      "groups: [{name: s, role: seed}, {name: v, playback: {bitrate: 2Mbit/s, start: {buffered: "
      "4s}, skip_after: 5s, "
      "offset: 30s}}]",
      "t");
  const protocol::playback_options& p = s.groups[1].peer.playback;
  EXPECT_DOUBLE_EQ(p.bitrate, 250'000.0);
  EXPECT_EQ(p.start_buffer, seconds(4));
  EXPECT_EQ(p.start_pieces, 0u);
  EXPECT_EQ(p.skip_after, seconds(5));
  EXPECT_EQ(p.start_offset, seconds(30));
  EXPECT_EQ(peer_options_of(s.groups[1], s.tracker).playback, p);
}

TEST(playback_schema, first_pieces_defaults_and_none_and_inheritance) {
  const scenario s = parse_scenario(R"(defaults:
  playback: {bitrate: 1Mbit/s, start: {first_pieces: 3}}
groups:
  - {name: s, role: seed, playback: none}
  - {name: a}
  - {name: b, playback: none}
)",
                                    "t");
  EXPECT_EQ(s.groups[1].peer.playback.start_pieces, 3u);
  EXPECT_FALSE(s.groups[1].peer.playback.skip_after);  // never
  EXPECT_EQ(s.groups[1].peer.playback.start_offset, seconds(0));
  EXPECT_FALSE(s.groups[2].peer.playback.enabled());
}

TEST(playback_schema, a_saved_viewer_reads_back_the_same) {
  for (const char* given : {"{bitrate: 3Mbit/s}", "{bitrate: 500kbit/s, start: {first_pieces: 2}}",
                            "{bitrate: 1MiB/s, skip_after: 2s, offset: 1min}"}) {
    const scenario s = parse_scenario(
        std::string("groups: [{name: s, role: seed}, {name: v, playback: ") + given + "}]", "t");
    const std::string saved = save_scenario(s);
    EXPECT_THAT(saved, HasSubstr("playback: {bitrate: "));
    EXPECT_EQ(parse_scenario(saved, "saved"), s) << saved;
  }
}

TEST(playback_schema, bad_viewers_are_named_with_their_place) {
  EXPECT_THAT(
      error_of("groups: [{name: s, role: seed}, {name: v, playback: {start: {buffered: 2s}}}]"),
      HasSubstr("test.yaml:1:53: playback: needs a 'bitrate'"));
  EXPECT_THAT(error_of("groups: [{name: s, role: seed}, {name: v, playback: {bitrate: 0}}]"),
              HasSubstr("bitrate: rate must be greater than 0"));
  EXPECT_THAT(
      error_of(
          "groups: [{name: s, role: seed}, {name: v, playback: {bitrate: 1Mbit/s, strat: {}}}]"),
      HasSubstr("did you mean 'start'"));
  EXPECT_THAT(error_of("groups: [{name: s, role: seed}, {name: v, playback: {bitrate: 1Mbit/s, "
                       "start: {buffered: 1s, "
                       "first_pieces: 2}}}]"),
              HasSubstr("start: give either 'buffered' or 'first_pieces', not both"));
  EXPECT_THAT(error_of("groups: [{name: s, role: seed}, {name: v, playback: {bitrate: 1Mbit/s, "
                       "start: {first_pieces: 0}}}]"),
              HasSubstr("test.yaml:1:"));
  EXPECT_THAT(error_of("groups: [{name: s, role: seed}, {name: v, playback: {bitrate: 1Mbit/s, "
                       "skip_after: 0s}}]"),
              HasSubstr("skip_after"));
  EXPECT_THAT(error_of("groups: [{name: s, role: seed}, {name: v, playback: fast}]"),
              HasSubstr("playback"));
}

TEST(playback_schema, an_override_turns_a_viewer_on) {
  const scenario s = parse_scenario("groups: [{name: s, role: seed}, {name: v}]", "t",
                                    {"groups.v.playback.bitrate=2Mbit/s"});
  EXPECT_TRUE(s.groups[1].peer.playback.enabled());
}

}  // namespace
}  // namespace swarmsim::sim
