#include "sim/results/output_target.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <system_error>

#include "sim/results/output.hpp"

namespace swarmsim::sim {

namespace fs = std::filesystem;

namespace {

// The files a run writes (simulated, real or compared), and its sub-folders.
constexpr std::array<std::string_view, 7> run_output_names{
    "peers.csv",   "timeseries.csv", "summary.json", "scenario.resolved.yaml",
    "overlay.csv", "traces.csv",     "compare.csv"};
constexpr std::array<std::string_view, 2> run_output_folders{"sim", "real"};

bool run_file(std::string_view name) {
  return std::any_of(run_output_names.begin(), run_output_names.end(), [&](std::string_view n) {
    return name == n || (name.starts_with(n) && name.substr(n.size()).starts_with(".tmp-"));
  });
}

[[noreturn]] void refuse(const fs::path& out, std::string_view why) {
  throw output_error(fmt::format("--out {}: {}", out.string(), why));
}

// The first entry below `dir` that a run did not write, if any.
std::optional<fs::path> foreign_entry(const fs::path& dir, bool top) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const auto type = e.symlink_status(ec).type();
    if (type == fs::file_type::regular && run_file(name)) continue;
    const bool folder = std::find(run_output_folders.begin(), run_output_folders.end(), name) !=
                        run_output_folders.end();
    if (top && folder && type == fs::file_type::directory) {
      if (auto inner = foreign_entry(e.path(), false)) return inner;
      continue;
    }
    return e.path();
  }
  if (ec) return dir;
  return std::nullopt;
}

bool writable(const fs::path& p) {
  return ::access(p.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

void check_run_output(const fs::path& out) {
  if (out.empty()) refuse(out, "empty path");
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(fs::absolute(out, ec), ec);
  const fs::path here = fs::weakly_canonical(fs::current_path(ec), ec);
  if (!ec && (target == target.root_path() || !target.has_relative_path()))
    refuse(out, "is the root directory; give a folder of its own");
  if (!ec) {
    const auto mismatch = std::mismatch(target.begin(), target.end(), here.begin(), here.end());
    if (mismatch.first == target.end())
      refuse(out, "is the current directory or above it; give a folder of its own");
  }
  const auto status = fs::symlink_status(out, ec);
  if (status.type() == fs::file_type::not_found) {
    fs::path parent = fs::absolute(out, ec).parent_path();
    while (!fs::exists(parent, ec) && parent.has_relative_path())
      parent = parent.parent_path();
    if (!fs::is_directory(parent, ec))
      refuse(out, fmt::format("{} is not a directory", parent.string()));
    if (!writable(parent))
      refuse(out, fmt::format("cannot create it: {} is not writable", parent.string()));
    return;
  }
  if (status.type() != fs::file_type::directory)
    refuse(out, "exists and is not a directory; give a new or a results folder");
  if (auto foreign = foreign_entry(out, true))
    refuse(out, fmt::format("holds {}, which is not a result file; the folder is replaced as a "
                            "whole, so give a new or a results folder",
                            foreign->string()));
  if (!writable(out) || !writable(fs::absolute(out, ec).parent_path()))
    refuse(out, "cannot be replaced: it or its parent is not writable");
}

earlier_results::earlier_results(fs::path out) : out_(std::move(out)) {
  std::error_code ec;
  if (fs::symlink_status(out_, ec).type() != fs::file_type::directory) return;
  fs::path aside = out_;
  if (!aside.has_filename()) aside = aside.parent_path();
  aside += fmt::format(".old-{}", static_cast<long>(::getpid()));
  fs::rename(out_, aside, ec);
  if (ec)
    throw output_error(fmt::format("--out {}: cannot move the earlier results aside: {}",
                                   out_.string(), ec.message()));
  aside_ = aside;
}

earlier_results::~earlier_results() {
  if (!aside_) return;
  std::error_code ec;
  fs::remove_all(out_, ec);  // what the failed run left
  fs::rename(*aside_, out_, ec);
}

void earlier_results::keep_new() noexcept {
  if (!aside_) return;
  std::error_code ec;
  fs::remove_all(*aside_, ec);
  aside_.reset();
}

int replace_results(const fs::path& out, const std::function<int()>& write_results) {
  check_run_output(out);
  earlier_results earlier(out);
  const int code = write_results();
  if (code == 0) earlier.keep_new();
  return code;
}

}  // namespace swarmsim::sim
