#include "protocol/strategy.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "protocol/choker.hpp"
#include "protocol/strategy_registry.hpp"

namespace swarmsim::protocol {
namespace {

using std::chrono::seconds;

strategy_info example() {
  strategy_info s{strategy_kind::choker,
                  "example",
                  "for tests",
                  "here",
                  {{"slots", param_type::whole, std::uint64_t{4}, "slots", 1, 10},
                   {"share", param_type::fraction, 0.5, "a share"},
                   {"period", param_type::duration, duration{seconds(10)}, "a period", 1, 60},
                   {"greedy", param_type::boolean, false, "a switch"}},
                  mainline_choker_info().make_upload};
  return s;
}

TEST(strategy_params, are_kept_sorted_by_name_and_read_with_their_type) {
  strategy_params p;
  p.set("zeta", 1.5);
  p.set("alpha", std::uint64_t{3});
  p.set("zeta", 2.5);  // replaces
  ASSERT_EQ(p.values().size(), 2u);
  EXPECT_EQ(p.values()[0].first, "alpha");
  EXPECT_EQ(p.whole("alpha"), 3u);
  EXPECT_EQ(p.number("zeta"), 2.5);
  EXPECT_THROW((void)p.number("alpha"), std::logic_error);  // another type
  EXPECT_THROW((void)p.whole("missing"), std::logic_error);
}

TEST(strategy_params, resolve_fills_in_defaults_and_refuses_what_the_strategy_lacks) {
  const strategy_info info = example();
  strategy_params given;
  given.set("slots", std::uint64_t{7});
  const auto r = resolve(info, given);
  ASSERT_TRUE(r.params) << r.error;
  EXPECT_EQ(r.params->whole("slots"), 7u);
  EXPECT_EQ(r.params->number("share"), 0.5);
  EXPECT_EQ(r.params->span("period"), seconds(10));
  EXPECT_FALSE(r.params->boolean("greedy"));

  given.set("slotz", std::uint64_t{1});
  EXPECT_EQ(resolve(info, given).error, "choker 'example' has no parameter 'slotz'");
}

TEST(strategy_params, values_are_checked_against_type_and_range) {
  const strategy_info info = example();
  EXPECT_FALSE(check_param(info.params[0], std::uint64_t{10}));
  EXPECT_EQ(*check_param(info.params[0], std::uint64_t{11}), "slots: 11 is outside [1, 10]");
  EXPECT_EQ(*check_param(info.params[0], 4.0), "slots: expected a whole number");
  EXPECT_EQ(*check_param(info.params[1], 1.5), "share: 1.5 is outside [0, 1]");
  EXPECT_EQ(*check_param(info.params[2], duration{seconds(61)}), "period: 61 is outside [1, 60]");
  EXPECT_FALSE(check_param(info.params[3], true));
}

TEST(strategy_registry, finds_by_kind_and_name_and_refuses_a_name_twice) {
  strategy_registry r = builtin_strategies();
  ASSERT_NE(r.find(strategy_kind::choker, "mainline"), nullptr);
  EXPECT_EQ(r.find(strategy_kind::choker, "nope"), nullptr);
  static const strategy_info info = example();
  r.add(info);
  EXPECT_EQ(r.find(strategy_kind::choker, "example"), &info);
  EXPECT_EQ(r.names(strategy_kind::choker), (std::vector<std::string_view>{"mainline", "example"}));
  EXPECT_THROW(r.add(info), std::invalid_argument);
  static strategy_info no_factory = example();
  no_factory.name = "other";
  no_factory.make_upload = nullptr;
  EXPECT_THROW(r.add(no_factory), std::invalid_argument);
}

TEST(strategy_ref, compares_by_name_and_values) {
  static const strategy_info info = example();
  strategy_ref a{&info, *resolve(info, {}).params};
  strategy_ref b = a;
  EXPECT_EQ(a, b);
  b.params.set("slots", std::uint64_t{5});
  EXPECT_NE(a, b);
  EXPECT_NE(a, choker_options{}.policy);
  EXPECT_EQ(choker_options{}.policy.name(), "mainline");
}

// The default choker options build the mainline choker, and the strategy it
// builds decides exactly as a choker built directly.
TEST(make_upload_strategy, the_default_is_the_mainline_choker) {
  choker_options o;
  o.upload_slots = 2;
  auto built = make_upload_strategy(o);
  choker direct(o);
  ASSERT_NE(dynamic_cast<choker*>(built.get()), nullptr);
  std::vector<choke_candidate> c(4);
  for (std::uint32_t i = 0; i < 4; ++i) {
    c[i].conn = connection_id{i + 1};
    c[i].peer_interested = true;
    c[i].download_rate = 100.0 * i;
  }
  rng r1(7), r2(7);
  built->start(time_origin);
  direct.start(time_origin);
  EXPECT_EQ(built->rechoke(c, false, time_origin + seconds(10), r1),
            direct.rechoke(c, false, time_origin + seconds(10), r2));
  EXPECT_EQ(built->next_deadline(), direct.next_deadline());
}

}  // namespace
}  // namespace swarmsim::protocol
