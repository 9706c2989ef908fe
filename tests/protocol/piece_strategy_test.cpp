// The piece picker around a plug-in piece strategy (piece_strategy.hpp): the
// strategy decides which new pieces start, the picker keeps the bookkeeping
// (started pieces first, endgame), and a strategy that breaks the contract
// stops the picker with an error naming it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "protocol/piece_picker.hpp"
#include "protocol/piece_strategy.hpp"
#include "protocol/strategy_registry.hpp"

namespace swarmsim::protocol {
namespace {

using ::testing::HasSubstr;

constexpr requester peer_a{1};
constexpr requester peer_b{2};

torrent_geometry geometry_of(std::uint32_t pieces, std::uint32_t blocks_per_piece = 2) {
  const std::uint32_t piece_size = blocks_per_piece * default_block_size;
  return torrent_geometry(std::uint64_t{pieces} * piece_size, piece_size);
}

enum class behaviour { highest_first, takes_unwanted, takes_missing_from_remote, walks_no_order };
behaviour current = behaviour::highest_first;  // read by the factory

// Highest index first, with one fault injected.
class highest_first final : public piece_strategy {
 public:
  explicit highest_first(behaviour b) : b_(b) {}
  void pick(piece_request& r) override {
    if (b_ == behaviour::walks_no_order) {
      r.take_in_order();
      return;
    }
    for (std::uint32_t p = r.num_pieces(); p-- > 0 && !r.full();) {
      const piece_index piece{p};
      const bool take = b_ == behaviour::takes_unwanted              ? r.have(piece)
                        : b_ == behaviour::takes_missing_from_remote ? !r.remote_has(piece)
                                                                     : r.startable(piece);
      if (take) r.take(piece);
    }
  }
  piece_order order() const override { return piece_order::none; }

 private:
  behaviour b_;
};

const strategy_info& highest_first_info() {
  static const strategy_info info = [] {
    strategy_info i;
    i.kind = strategy_kind::picker;
    i.name = "highest_first";
    i.summary = "for tests";
    i.source = "here";
    i.make_picker = [](const strategy_params&) -> std::unique_ptr<piece_strategy> {
      return std::make_unique<highest_first>(current);
    };
    return i;
  }();
  return info;
}

piece_picker picker_with(behaviour b, std::uint32_t pieces) {
  current = b;
  picker_options o;
  o.policy = {&highest_first_info(), {}};
  piece_picker picker(geometry_of(pieces), o, 1);
  current = behaviour::highest_first;
  return picker;
}

std::vector<std::uint32_t> pieces_of(const std::vector<block_ref>& blocks) {
  std::vector<std::uint32_t> out;
  for (const block_ref b : blocks)
    if (out.empty() || out.back() != b.piece.value()) out.push_back(b.piece.value());
  return out;
}

TEST(piece_strategy, a_plug_in_strategy_chooses_which_pieces_start) {
  piece_picker picker = picker_with(behaviour::highest_first, 6);
  picker.set_have(piece_index{5});
  const auto remote = bitfield::from_string("111110");
  picker.inc_availability(remote);
  std::vector<block_ref> out;
  EXPECT_EQ(picker.pick(remote, 5, peer_a, out), 5u);
  // Piece 5 is had and the remote lacks nothing else: 4, 3, then half of 2.
  EXPECT_EQ(pieces_of(out), (std::vector<std::uint32_t>{4, 3, 2}));
  // Started pieces come first whatever the strategy (finish_started_first).
  out.clear();
  EXPECT_EQ(picker.pick(remote, 2, peer_b, out), 2u);
  EXPECT_EQ(pieces_of(out), (std::vector<std::uint32_t>{2, 1}));
  EXPECT_NO_THROW(picker.check_invariants());
}

TEST(piece_strategy, blocks_it_leaves_go_to_endgame_duplicates) {
  piece_picker picker = picker_with(behaviour::highest_first, 2);
  const auto remote = bitfield(2, true);
  picker.inc_availability(remote);
  std::vector<block_ref> out;
  EXPECT_EQ(picker.pick(remote, 4, peer_a, out), 4u);
  ASSERT_TRUE(picker.in_endgame());
  out.clear();
  EXPECT_EQ(picker.pick(remote, 4, peer_b, out), 4u);  // every block a second time
  EXPECT_NO_THROW(picker.check_invariants());
}

std::string pick_error(behaviour b) {
  piece_picker picker = picker_with(b, 4);
  picker.set_have(piece_index{0});
  const auto remote = bitfield::from_string("0111");
  picker.inc_availability(remote);
  std::vector<block_ref> out;
  try {
    picker.pick(remote, 4, peer_a, out);
  } catch (const std::logic_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(piece_strategy, a_take_that_breaks_the_contract_stops_the_picker_naming_it) {
  EXPECT_THAT(pick_error(behaviour::takes_unwanted),
              HasSubstr("picker strategy 'highest_first' took piece 0, which is not wanted"));
  EXPECT_THAT(pick_error(behaviour::takes_missing_from_remote),
              HasSubstr("took piece 0, which is not wanted"));
  EXPECT_THAT(pick_error(behaviour::walks_no_order),
              HasSubstr("'highest_first' walked an order it does not keep"));
  EXPECT_EQ(pick_error(behaviour::highest_first), "no error");
}

TEST(piece_strategy, a_piece_the_remote_lacks_is_refused) {
  current = behaviour::highest_first;
  class lacks final : public piece_strategy {
   public:
    void pick(piece_request& r) override { r.take(piece_index{1}); }
    piece_order order() const override { return piece_order::none; }
  };
  static const strategy_info info = [] {
    strategy_info i = highest_first_info();
    i.name = "lacks";
    i.make_picker = [](const strategy_params&) -> std::unique_ptr<piece_strategy> {
      return std::make_unique<lacks>();
    };
    return i;
  }();
  picker_options o;
  o.policy = {&info, {}};
  piece_picker picker(geometry_of(3), o, 1);
  const auto remote = bitfield::from_string("101");
  picker.inc_availability(remote);
  std::vector<block_ref> out;
  EXPECT_THROW(
      {
        try {
          picker.pick(remote, 2, peer_a, out);
        } catch (const std::logic_error& e) {
          EXPECT_THAT(e.what(), HasSubstr("took piece 1, which is not held by the remote"));
          throw;
        }
      },
      std::logic_error);
}

TEST(piece_strategy, take_lowest_starts_from_the_piece_given) {
  class from_two final : public piece_strategy {
   public:
    void pick(piece_request& r) override {
      r.take_lowest(piece_index{66});  // past the first word of the bitfield
      r.take_lowest();
    }
    piece_order order() const override { return piece_order::none; }
  };
  static const strategy_info info = [] {
    strategy_info i = highest_first_info();
    i.name = "from_two";
    i.make_picker = [](const strategy_params&) -> std::unique_ptr<piece_strategy> {
      return std::make_unique<from_two>();
    };
    return i;
  }();
  picker_options o;
  o.policy = {&info, {}};
  piece_picker picker(geometry_of(70), o, 1);
  const auto remote = bitfield(70, true);
  picker.inc_availability(remote);
  std::vector<block_ref> out;
  EXPECT_EQ(picker.pick(remote, 12, peer_a, out), 12u);
  EXPECT_EQ(pieces_of(out), (std::vector<std::uint32_t>{66, 67, 68, 69, 0, 1}));
}

TEST(piece_strategy, take_duplicate_asks_a_second_remote_for_blocks_in_flight) {
  class duplicates final : public piece_strategy {
   public:
    void pick(piece_request& r) override {
      r.take_duplicate(piece_index{0});
      if (!r.full()) r.take_lowest();
    }
    piece_order order() const override { return piece_order::none; }
  };
  static const strategy_info info = [] {
    strategy_info i = highest_first_info();
    i.name = "duplicates";
    i.make_picker = [](const strategy_params&) -> std::unique_ptr<piece_strategy> {
      return std::make_unique<duplicates>();
    };
    return i;
  }();
  picker_options o;
  o.policy = {&info, {}};
  o.max_endgame_duplicates = 1;
  piece_picker picker(geometry_of(4), o, 1);
  const auto remote = bitfield(4, true);
  picker.inc_availability(remote);
  std::vector<block_ref> out;
  ASSERT_EQ(picker.pick(remote, 2, peer_a, out), 2u);  // piece 0 has no record: piece 0 fresh
  EXPECT_EQ(pieces_of(out), (std::vector<std::uint32_t>{0}));
  out.clear();
  ASSERT_EQ(picker.pick(remote, 4, peer_b, out), 4u);  // piece 0 again, then piece 1
  EXPECT_EQ(pieces_of(out), (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(picker.num_requesters(out[0]), 2u);
  out.clear();
  // At most max_endgame_duplicates extra requesters: a third gets piece 2.
  ASSERT_EQ(picker.pick(remote, 2, requester{3}, out), 2u);
  EXPECT_EQ(pieces_of(out), (std::vector<std::uint32_t>{2}));
  EXPECT_NO_THROW(picker.check_invariants());
  picker.set_have(piece_index{0});
  out.clear();
  EXPECT_THROW(picker.pick(remote, 2, requester{4}, out), std::logic_error);  // had already
}

TEST(piece_strategy, the_builtin_pickers_are_registered_and_a_bad_name_is_refused) {
  strategy_registry r = builtin_strategies();
  EXPECT_EQ(r.names(strategy_kind::picker),
            (std::vector<std::string_view>{"rarest_first", "sequential", "random"}));
  EXPECT_EQ(picker_options{}.policy.name(), "rarest_first");
  static strategy_info bad = highest_first_info();
  bad.name = "Highest First";
  EXPECT_THROW(r.add(bad), std::invalid_argument);
  static strategy_info no_factory = highest_first_info();
  no_factory.make_picker = nullptr;
  EXPECT_THROW(r.add(no_factory), std::invalid_argument);
  r.add(highest_first_info());
  EXPECT_EQ(r.find(strategy_kind::picker, "highest_first"), &highest_first_info());
  picker_options unregistered;
  unregistered.policy = {&bad, {}};
  bad.make_picker = nullptr;
  EXPECT_THROW(piece_picker(geometry_of(2), unregistered, 1), std::invalid_argument);
}

}  // namespace
}  // namespace swarmsim::protocol
