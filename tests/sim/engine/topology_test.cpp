#include "sim/engine/topology.hpp"

#include <gtest/gtest.h>

#include <string>

namespace swarmsim::sim {
namespace {

using std::chrono::milliseconds;

std::vector<site_spec> sites(std::initializer_list<const char*> names) {
  std::vector<site_spec> out;
  for (const auto* n : names)
    out.push_back(site_spec{n});
  return out;
}

link_spec link(const char* a, const char* b, int ms) {
  return link_spec{a, b, milliseconds(ms)};
}

// The message of the topology_error that build() throws ("" if it does not throw).
std::string build_error(const std::vector<site_spec>& s, const std::vector<link_spec>& l) {
  try {
    topology::build(s, l, milliseconds(1));
  } catch (const topology_error& e) {
    return e.what();
  }
  return "";
}

TEST(topology, a_line_adds_up_the_links_along_it) {
  auto t = topology::build(sites({"a", "b", "c", "d"}),
                           {link("a", "b", 10), link("b", "c", 20), link("c", "d", 30)},
                           milliseconds(2));
  const auto a = t.site_index("a");
  const auto b = t.site_index("b");
  const auto c = t.site_index("c");
  const auto d = t.site_index("d");
  EXPECT_EQ(t.latency(a, b), milliseconds(10));
  EXPECT_EQ(t.latency(a, c), milliseconds(10 + 20));
  EXPECT_EQ(t.latency(a, d), milliseconds(10 + 20 + 30));
  EXPECT_EQ(t.latency(b, d), milliseconds(20 + 30));
}

TEST(topology, a_triangle_takes_the_shorter_route) {
  // Direct eu-asia is 200 ms, via us it is 40 + 100 = 140 ms.
  auto t = topology::build(sites({"eu", "us", "asia"}),
                           {link("eu", "asia", 200), link("eu", "us", 40), link("us", "asia", 100)},
                           milliseconds(5));
  EXPECT_EQ(t.latency(t.site_index("eu"), t.site_index("asia")), milliseconds(140));
  EXPECT_EQ(t.latency(t.site_index("eu"), t.site_index("us")), milliseconds(40));
  // Direct wins when it is the shorter one.
  auto u = topology::build(sites({"eu", "us", "asia"}),
                           {link("eu", "asia", 120), link("eu", "us", 40), link("us", "asia", 100)},
                           milliseconds(5));
  EXPECT_EQ(u.latency(u.site_index("eu"), u.site_index("asia")), milliseconds(120));
}

TEST(topology, parallel_links_use_the_fastest) {
  auto t =
      topology::build(sites({"a", "b"}), {link("a", "b", 50), link("b", "a", 30)}, milliseconds(1));
  EXPECT_EQ(t.latency(0, 1), milliseconds(30));
}

TEST(topology, latency_is_symmetric_and_local_on_the_diagonal) {
  auto t = topology::build(sites({"a", "b", "c", "d", "e"}),
                           {link("a", "b", 7), link("b", "c", 11), link("a", "c", 25),
                            link("c", "d", 3), link("d", "e", 13), link("b", "e", 40)},
                           milliseconds(4));
  ASSERT_EQ(t.num_sites(), 5u);
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(t.latency(i, i), milliseconds(4));
    for (std::uint32_t j = 0; j < 5; ++j) {
      EXPECT_EQ(t.latency(i, j), t.latency(j, i)) << i << " " << j;
      // Shortest paths obey the triangle inequality.
      for (std::uint32_t k = 0; k < 5; ++k) {
        if (i != j && j != k && i != k) {
          EXPECT_LE(t.latency(i, k), t.latency(i, j) + t.latency(j, k));
        }
      }
    }
  }
  EXPECT_EQ(t.latency(t.site_index("a"), t.site_index("e")), milliseconds(7 + 11 + 3 + 13));
}

TEST(topology, a_single_site_needs_no_links) {
  auto t = topology::build(network_spec{});
  ASSERT_EQ(t.num_sites(), 1u);
  EXPECT_EQ(t.site_index("default"), 0u);
  EXPECT_EQ(t.site_name(0), "default");
  EXPECT_EQ(t.latency(0, 0), network_spec{}.local_latency);
}

TEST(topology, unknown_site_names_are_reported) {
  auto t = topology::build(sites({"a", "b"}), {link("a", "b", 1)}, milliseconds(1));
  EXPECT_FALSE(t.find_site("mars"));
  EXPECT_EQ(t.find_site("b"), 1u);
  EXPECT_THROW(t.site_index("mars"), topology_error);
}

TEST(topology, a_disconnected_graph_is_an_error_naming_the_sites) {
  auto what = build_error(sites({"a", "b", "c", "d"}), {link("a", "b", 1), link("c", "d", 1)});
  EXPECT_NE(what.find("no route"), std::string::npos) << what;
  EXPECT_NE(what.find("'a'"), std::string::npos) << what;
  EXPECT_NE(what.find("'c'"), std::string::npos) << what;
  EXPECT_NE(build_error(sites({"a", "b"}), {}), "");
}

TEST(topology, a_link_to_an_unknown_site_is_an_error_naming_it) {
  auto what = build_error(sites({"a", "b"}), {link("a", "b", 1), link("b", "mars", 1)});
  EXPECT_NE(what.find("'mars'"), std::string::npos) << what;
}

TEST(topology, negative_latency_is_an_error) {
  EXPECT_NE(build_error(sites({"a", "b"}), {link("a", "b", -1)}).find("negative"),
            std::string::npos);
  EXPECT_THROW(topology::build(sites({"a"}), {}, milliseconds(-1)), topology_error);
}

TEST(topology, duplicate_sites_and_self_links_are_errors) {
  EXPECT_NE(build_error(sites({"a", "b", "a"}), {link("a", "b", 1)}).find("'a'"),
            std::string::npos);
  EXPECT_NE(build_error(sites({"a", "b"}), {link("a", "b", 1), link("b", "b", 1)}).find("'b'"),
            std::string::npos);
  EXPECT_NE(build_error({}, {}), "");
}

}  // namespace
}  // namespace swarmsim::sim
