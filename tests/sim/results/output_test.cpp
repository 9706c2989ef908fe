#include "sim/results/output.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/results/progress.hpp"
#include "sim/results/version.hpp"

namespace swarmsim::sim {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// A fresh, empty directory per test, removed afterwards.
class scratch : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            fmt::format("swarmsim-output-{}-{}", static_cast<long>(::getpid()), info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void write(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
  }
  // Every entry under `dir`, recursively, relative to it.
  static std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      names.push_back(fs::relative(e.path(), dir).string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path root_;
};

// A FILE* that writes into memory.
class memory_stream {
 public:
  memory_stream() : file_(open_memstream(&buffer_, &size_)) {}
  ~memory_stream() {
    std::fclose(file_);
    std::free(buffer_);
  }
  memory_stream(const memory_stream&) = delete;
  memory_stream& operator=(const memory_stream&) = delete;

  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(buffer_, size_);
  }

 private:
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

// What `print` wrote to a stream.
std::string capture(const std::function<void(std::FILE*)>& print) {
  memory_stream out;
  print(out.file());
  return out.text();
}

TEST(csv_field, plain_text_stays_as_it_is) {
  EXPECT_EQ(csv_field("leechers"), "leechers");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a b;c'd"), "a b;c'd");
}

TEST(csv_field, quotes_separators_and_doubles_quotes) {
  EXPECT_EQ(csv_field("slow, dsl"), "\"slow, dsl\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
}

TEST(json_string, escapes_quotes_backslashes_and_control_characters) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("a \"b\" \\ c"), R"("a \"b\" \\ c")");
  EXPECT_EQ(json_string("tab\tnl\ncr\r"), R"("tab\tnl\ncr\r")");
  EXPECT_EQ(json_string(std::string_view("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 passes through
}

// Bytes that are not UTF-8 (a Latin-1 torrent or group name) made the whole
// summary.json unreadable to a JSON parser.
TEST(json_string, writes_bytes_that_are_not_utf8_as_the_replacement_character) {
  EXPECT_EQ(json_string("caf\xe9"), R"("caf\ufffd")");
  EXPECT_EQ(json_string("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(json_string("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
  EXPECT_EQ(json_string("\xe2\x82"), R"("\ufffd\ufffd")");            // cut short
  EXPECT_EQ(json_string("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
}

TEST(format_seconds, six_decimals_rounded_half_away_from_zero) {
  EXPECT_EQ(format_seconds(duration{0}), "0.000000");
  EXPECT_EQ(format_seconds(milliseconds(1500)), "1.500000");
  EXPECT_EQ(format_seconds(nanoseconds(1'234'567'891)), "1.234568");
  EXPECT_EQ(format_seconds(nanoseconds(499)), "0.000000");
  EXPECT_EQ(format_seconds(nanoseconds(500)), "0.000001");
  EXPECT_EQ(format_seconds(nanoseconds(-1'500'000'000)), "-1.500000");
  EXPECT_EQ(format_seconds(nanoseconds(-1)), "0.000000");  // no "-0.000000"
  EXPECT_EQ(format_seconds(std::chrono::hours(48)), "172800.000000");
}

// Two peers: the initial seed, still there at the end, and a leecher in a group
// whose name needs quoting, who completed and left.
std::vector<peer_record> two_peers() {
  std::vector<peer_record> peers(2);
  peers[0].id = protocol::peer_id{0};
  peers[0].group = "seed";
  peers[0].role = peer_role::initial_seed;
  peers[0].site = "eu";
  peers[0].upload_capacity = 1'250'000;
  peers[0].download_capacity = 6'250'000;
  peers[0].bytes_uploaded = 1'048'576;
  peers[0].pieces_at_start = 4;
  peers[0].pieces_at_end = 4;
  peers[0].connections_max = 1;
  peers[0].connections_total = 1;

  peers[1].id = protocol::peer_id{7};
  peers[1].group = "slow, \"dsl\"";
  peers[1].role = peer_role::leecher;
  peers[1].site = "us";
  peers[1].upload_capacity = 16'000.5;
  peers[1].download_capacity = 98'000;
  peers[1].arrival = milliseconds(2'500);
  peers[1].first_piece = milliseconds(3'250);
  peers[1].completion = nanoseconds(12'000'000'250);
  peers[1].departure = seconds(20);
  peers[1].bytes_uploaded = 524'288;
  peers[1].bytes_downloaded = 1'064'960;
  peers[1].bytes_downloaded_from_seeds = 1'048'576;
  peers[1].bytes_wasted = 16'384;
  peers[1].pieces_at_end = 4;
  peers[1].connections_max = 1;
  peers[1].connections_total = 2;
  return peers;
}

TEST(peers_csv, is_byte_exact) {
  const std::string expected =
      "id,group,role,site,upload_capacity_bytes_per_s,download_capacity_bytes_per_s,"
      "arrival_s,first_piece_s,completion_s,departure_s,download_time_s,time_to_first_piece_s,"
      "bytes_uploaded,bytes_downloaded,bytes_downloaded_from_seeds,bytes_wasted,share_ratio,"
      "pieces_at_start,pieces_at_end,connections_max,connections_total\n"
      "0,seed,initial_seed,eu,1250000.000,6250000.000,0.000000,,,,,,1048576,0,0,0,,4,4,1,1\n"
      "7,\"slow, \"\"dsl\"\"\",leecher,us,16000.500,98000.000,2.500000,3.250000,12.000000,"
      "20.000000,9.500000,0.750000,524288,1064960,1048576,16384,0.492308,0,4,1,2\n";
  EXPECT_EQ(format_peers_csv(two_peers()), expected);
}

TEST(peers_csv, has_a_header_even_without_peers) {
  const std::string csv = format_peers_csv({});
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1);
  EXPECT_EQ(csv.rfind("id,group,", 0), 0u);
}

TEST(timeseries_csv, is_byte_exact_and_writes_non_finite_values_as_empty_fields) {
  std::vector<sample> samples(2);
  samples[0].time = seconds(1);
  samples[0].leechers = 1;
  samples[0].seeds = 1;
  samples[0].arrived = 2;
  samples[0].connections = 1;
  samples[0].upload_rate = 131'072;
  samples[0].seed_upload_rate = 131'072;
  samples[0].upload_utilisation = 0.1048576;
  samples[0].availability_min = 1;
  samples[0].availability_mean = 1.25;
  samples[0].entropy = 0.9;
  samples[0].pieces_only_at_seeds = 3;
  samples[0].peer_availability = 0.75;
  samples[0].events = 120;
  samples[1].time = milliseconds(2'000);
  samples[1].seeds = 2;
  samples[1].arrived = 2;
  samples[1].completed = 1;
  samples[1].departed = 1;
  samples[1].upload_rate = 0;
  samples[1].upload_utilisation = std::nan("");
  samples[1].availability_min = 2;
  samples[1].availability_mean = 2;
  samples[1].entropy = 1;
  samples[1].peer_availability = std::nan("");
  samples[1].events = 300;
  const std::string expected =
      "time_s,leechers,seeds,arrived,completed,departed,connections,upload_rate_bytes_per_s,"
      "seed_upload_rate_bytes_per_s,upload_utilisation,availability_min,availability_mean,"
      "entropy,pieces_only_at_seeds,peer_availability,events\n"
      "1.000000,1,1,2,0,0,1,131072.000,131072.000,0.104858,1,1.250000,0.900000,3,0.750000,120\n"
      "2.000000,0,2,2,1,1,0,0.000,0.000,,2,2.000000,1.000000,0,,300\n";
  EXPECT_EQ(format_timeseries_csv(samples), expected);
}

run_summary none_completed() {
  run_summary s;
  s.scenario = "stuck";
  s.seed = 3;
  s.peers = 2;
  s.initial_seeds = 1;
  s.leechers = 1;
  s.simulated_time = seconds(86'400);
  s.events = 10;
  return s;
}

TEST(summary_json, with_no_completed_leecher_writes_null_not_nan_and_keeps_every_key) {
  const std::string expected = fmt::format(
      "{{\n"
      "  \"swarmsim_version\": \"{}\",\n"
      "  \"scenario\": \"stuck\",\n"
      "  \"seed\": 3,\n"
      "  \"peers\": 2,\n"
      "  \"initial_seeds\": 1,\n"
      "  \"leechers\": 1,\n"
      "  \"completed\": 0,\n"
      "  \"aborted\": 0,\n"
      "  \"completed_fraction\": null,\n"
      "  \"download_time_s\": {{\n"
      "    \"count\": 0,\n"
      "    \"min\": null,\n"
      "    \"median\": null,\n"
      "    \"mean\": null,\n"
      "    \"p90\": null,\n"
      "    \"max\": null\n"
      "  }},\n"
      "  \"time_to_first_piece_s\": {{\n"
      "    \"count\": 0,\n"
      "    \"min\": null,\n"
      "    \"median\": null,\n"
      "    \"mean\": null,\n"
      "    \"p90\": null,\n"
      "    \"max\": null\n"
      "  }},\n"
      "  \"share_ratio\": {{\n"
      "    \"count\": 0,\n"
      "    \"min\": null,\n"
      "    \"median\": null,\n"
      "    \"mean\": null,\n"
      "    \"p90\": null,\n"
      "    \"max\": null\n"
      "  }},\n"
      "  \"all_done_s\": null,\n"
      "  \"distribution_time_s\": null,\n"
      "  \"t_min_s\": null,\n"
      "  \"distribution_time_over_t_min\": null,\n"
      "  \"simulated_time_s\": 86400.000000,\n"
      "  \"events\": 10,\n"
      "  \"bytes_uploaded\": 0,\n"
      "  \"bytes_downloaded\": 0,\n"
      "  \"bytes_wasted\": 0,\n"
      "  \"peak_leechers\": 0,\n"
      "  \"upload_utilisation\": null,\n"
      "  \"mean_upload_utilisation\": null,\n"
      "  \"availability_min\": null,\n"
      "  \"availability_mean\": null,\n"
      "  \"entropy_min\": null,\n"
      "  \"entropy_mean\": null,\n"
      "  \"pieces_only_at_seeds_max\": null,\n"
      "  \"pieces_only_at_seeds_mean\": null,\n"
      "  \"wall_time_s\": 0.000,\n"
      "  \"events_per_wall_second\": null\n"
      "}}\n",
      version());
  EXPECT_EQ(format_summary_json(none_completed()), expected);
}

TEST(summary_json, nests_download_time_statistics_and_omits_wall_clock_on_request) {
  const std::vector<peer_record> peers = two_peers();
  run_info info;
  info.scenario = "two";
  info.t_min = seconds(5);
  info.wall_seconds = 0.25;
  info.events = 1000;
  const run_summary s = summarize(peers, {}, info);
  const std::string json = format_summary_json(s, wall_clock_fields::omit);
  EXPECT_NE(json.find("  \"download_time_s\": {\n"
                      "    \"count\": 1,\n"
                      "    \"min\": 9.500000,\n"
                      "    \"median\": 9.500000,\n"
                      "    \"mean\": 9.500000,\n"
                      "    \"p90\": 9.500000,\n"
                      "    \"max\": 9.500000\n"
                      "  },\n"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"distribution_time_over_t_min\": 1.900000,"), std::string::npos) << json;
  EXPECT_EQ(json.find("wall"), std::string::npos);
  EXPECT_NE(format_summary_json(s).find("\"events_per_wall_second\": 4000.0\n"), std::string::npos);
}

TEST(summary_json, escapes_the_scenario_name) {
  run_summary s = none_completed();
  s.scenario = "a \"quoted\"\nname";
  EXPECT_NE(format_summary_json(s).find(R"("scenario": "a \"quoted\"\nname",)"), std::string::npos);
}

TEST(print_summary, reports_completions_download_times_and_speed) {
  run_info info;
  info.scenario = "two";
  info.simulated_end = seconds(30);
  info.events = 5000;
  info.wall_seconds = 2;
  const std::string text =
      capture([&](std::FILE* f) { print_summary(f, summarize(two_peers(), {}, info)); });
  EXPECT_NE(text.find("leechers completed: 1/1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("median 9.500 s"), std::string::npos) << text;
  EXPECT_NE(text.find("all done at: 12.000 s"), std::string::npos) << text;
  EXPECT_NE(text.find("simulated time: 30.000 s, 5000 events"), std::string::npos) << text;
  EXPECT_NE(text.find("2500 events/s"), std::string::npos) << text;
}

TEST(print_summary, with_no_completed_leecher_prints_no_nan) {
  const std::string text = capture([](std::FILE* f) { print_summary(f, none_completed()); });
  EXPECT_NE(text.find("leechers completed: 0/1"), std::string::npos) << text;
  EXPECT_NE(text.find("no leecher completed"), std::string::npos) << text;
  EXPECT_EQ(text.find("nan"), std::string::npos) << text;
}

using atomic_write = scratch;

TEST_F(atomic_write, writes_the_file_and_leaves_no_temporary) {
  write_file_atomically(root_ / "a.csv", "x,y\n1,2\n");
  EXPECT_EQ(read(root_ / "a.csv"), "x,y\n1,2\n");
  EXPECT_EQ(listing(root_), std::vector<std::string>{"a.csv"});
}

TEST_F(atomic_write, replaces_an_existing_file) {
  write(root_ / "a.csv", "old contents that are longer\n");
  write_file_atomically(root_ / "a.csv", "new\n");
  EXPECT_EQ(read(root_ / "a.csv"), "new\n");
  EXPECT_EQ(listing(root_), std::vector<std::string>{"a.csv"});
}

TEST_F(atomic_write, fails_naming_the_path_when_the_parent_is_a_regular_file) {
  write(root_ / "file", "keep\n");
  const fs::path target = root_ / "file" / "a.csv";
  try {
    write_file_atomically(target, "data\n");
    FAIL() << "expected output_error";
  } catch (const output_error& e) {
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(listing(root_), std::vector<std::string>{"file"});
  EXPECT_EQ(read(root_ / "file"), "keep\n");
}

TEST_F(atomic_write, removes_its_temporary_when_the_rename_fails) {
  fs::create_directory(root_ / "taken");  // a directory where the file should go
  fs::create_directory(root_ / "taken" / "inside");
  EXPECT_THROW(write_file_atomically(root_ / "taken", "data\n"), output_error);
  EXPECT_EQ(listing(root_), (std::vector<std::string>{"taken", "taken/inside"}));
}

using output_dir = scratch;

TEST_F(output_dir, is_not_created_when_nothing_is_committed) {
  {
    output_directory out(root_ / "run" / "1");
    EXPECT_FALSE(out.created());
  }
  EXPECT_FALSE(fs::exists(root_ / "run"));
}

TEST_F(output_dir, creates_missing_parents_on_the_first_commit) {
  output_directory out(root_ / "results" / "run" / "1");
  const fs::path p = write_peers_csv(out, two_peers());
  EXPECT_EQ(p, root_ / "results" / "run" / "1" / "peers.csv");
  write_timeseries_csv(out, {});
  write_summary_json(out, none_completed());
  EXPECT_TRUE(out.created());
  EXPECT_TRUE(out.committed().empty());
  out.publish();
  EXPECT_EQ(out.committed(),
            (std::vector<std::string>{"peers.csv", "timeseries.csv", "summary.json"}));
  EXPECT_EQ(read(p), format_peers_csv(two_peers()));
  EXPECT_EQ(listing(root_ / "results" / "run" / "1"),
            (std::vector<std::string>{"peers.csv", "summary.json", "timeseries.csv"}));
}

TEST_F(output_dir, removes_the_directories_it_created_when_the_first_commit_fails) {
  output_directory out(root_ / "results" / "run");
  EXPECT_THROW(out.add("no-such-subdir/peers.csv", "x\n"), output_error);
  EXPECT_FALSE(out.created());
  EXPECT_TRUE(listing(root_).empty());
}

TEST_F(output_dir, keeps_a_directory_that_existed_before) {
  fs::create_directory(root_ / "results");
  output_directory out(root_ / "results");
  EXPECT_THROW(out.add("no-such-subdir/peers.csv", "x\n"), output_error);
  EXPECT_TRUE(fs::is_directory(root_ / "results"));
}

TEST_F(output_dir, fails_naming_the_directory_when_a_parent_is_a_regular_file) {
  write(root_ / "file", "keep\n");
  output_directory out(root_ / "file" / "run");
  try {
    out.add("peers.csv", "x\n");
    FAIL() << "expected output_error";
  } catch (const output_error& e) {
    EXPECT_NE(std::string(e.what()).find((root_ / "file" / "run").string()), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(listing(root_), std::vector<std::string>{"file"});
}

TEST_F(output_dir, publishes_nothing_and_removes_what_it_created_when_not_published) {
  {
    output_directory out(root_ / "results" / "run");
    write_peers_csv(out, two_peers());
    EXPECT_TRUE(fs::is_directory(root_ / "results" / "run"));
  }
  EXPECT_TRUE(listing(root_).empty());
}

TEST_F(output_dir, replaces_all_files_together_or_none) {
  fs::create_directory(root_ / "r");
  write(root_ / "r" / "peers.csv", "old peers\n");
  write(root_ / "r" / "notes.txt", "mine\n");
  fs::create_directory(root_ / "r" / "summary.json");  // in the way of the second file
  {
    output_directory out(root_ / "r");
    write_peers_csv(out, two_peers());
    EXPECT_THROW(write_summary_json(out, none_completed()), output_error);
  }
  EXPECT_EQ(read(root_ / "r" / "peers.csv"), "old peers\n");
  EXPECT_EQ(listing(root_ / "r"),
            (std::vector<std::string>{"notes.txt", "peers.csv", "summary.json"}));

  fs::remove(root_ / "r" / "summary.json");
  output_directory out(root_ / "r");
  write_peers_csv(out, two_peers());
  write_summary_json(out, none_completed());
  EXPECT_EQ(read(root_ / "r" / "peers.csv"), "old peers\n") << "replaced before publish()";
  out.publish();
  EXPECT_EQ(read(root_ / "r" / "peers.csv"), format_peers_csv(two_peers()));
  EXPECT_EQ(read(root_ / "r" / "notes.txt"), "mine\n");
  EXPECT_EQ(out.committed(), (std::vector<std::string>{"peers.csv", "summary.json"}));
}

// A wall clock the test moves by hand.
struct fake_clock {
  std::chrono::steady_clock::time_point now{};
  progress_bar::wall_clock function() {
    return [this] { return now; };
  }
};

TEST(progress_bar, draws_nothing_when_off) {
  const std::string text = capture([](std::FILE* f) {
    progress_bar bar(f, progress_display::off);
    bar.update(seconds(1), 1, 2, 100);
    bar.finish();
  });
  EXPECT_EQ(text, "");
}

TEST(progress_bar, draws_at_once_then_at_most_every_redraw_interval_and_clears_at_the_end) {
  fake_clock clock;
  memory_stream out;
  progress_bar bar(out.file(), progress_display::on, clock.function());
  bar.update(seconds(1), 3, 10, 100);
  const std::string first = out.text();
  for (std::uint32_t i = 0; i < 10 * progress_bar::max_check_stride; ++i) {
    bar.update(seconds(1), 3, 10, 100 + i);  // no wall time passes: no redraw
  }
  EXPECT_EQ(out.text(), first);
  clock.now += progress_bar::min_redraw_interval;
  for (std::uint32_t i = 0; i < progress_bar::max_check_stride; ++i) {
    bar.update(seconds(2), 10, 10, 5000);
  }
  bar.finish();
  bar.update(seconds(3), 10, 10, 6000);  // after finish: nothing
  const std::string text = out.text();
  EXPECT_NE(first.find("3/10"), std::string::npos) << first;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3) << text;  // 2 draws + clear
  EXPECT_NE(text.find("10/10"), std::string::npos) << text;
  EXPECT_NE(text.find("[##############################]"), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("\r\x1b[K")) << text;
}

TEST(progress_bar, reads_the_clock_on_every_call_when_calls_are_far_apart) {
  // A driver that calls once per many events: each call sees the clock move on.
  fake_clock clock;
  std::uint32_t reads = 0;
  memory_stream out;
  progress_bar bar(out.file(), progress_display::on, [&] {
    ++reads;
    return clock.now;
  });
  for (int i = 0; i < 10; ++i) {
    bar.update(seconds(i), 0, 10, 1000 * i);
    clock.now += progress_bar::min_redraw_interval;
  }
  EXPECT_EQ(reads, 10u);
  const std::string text = out.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 10) << text;
}

TEST(progress_bar, reads_the_clock_rarely_when_calls_come_fast) {
  fake_clock clock;
  std::uint32_t reads = 0;
  memory_stream out;
  progress_bar bar(out.file(), progress_display::on, [&] {
    ++reads;
    return clock.now;
  });
  const std::uint32_t calls = 100 * progress_bar::max_check_stride;
  for (std::uint32_t i = 0; i < calls; ++i)
    bar.update(seconds(1), 0, 10, i);
  // The stride doubles up to its cap within a few reads, then stays there.
  EXPECT_LT(reads, calls / progress_bar::max_check_stride + 20);
}

}  // namespace
}  // namespace swarmsim::sim
