#include "sim/real/storage/file_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace swarmsim::sim::real {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int e) {
  return std::error_code(e, std::generic_category()).message();
}

}  // namespace

std::vector<fs::path> file_storage::file_paths(const protocol::metainfo& meta,
                                               const fs::path& content) {
  std::vector<fs::path> out;
  out.reserve(meta.files.size());
  for (const auto& f : meta.files) {
    fs::path p = content;
    for (const auto& component : f.path)
      p /= component;
    out.push_back(std::move(p));
  }
  return out;
}

file_storage::file_storage(const protocol::metainfo& meta, fs::path content, storage_mode mode)
    : content_(std::move(content)), mode_(mode) {
  const auto paths = file_paths(meta, content_);
  files_.resize(paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    files_[i].path = paths[i];
    files_[i].offset = total_;
    files_[i].length = meta.files[i].length;
    files_[i].pad = meta.files[i].is_pad();
    total_ += meta.files[i].length;
  }
  if (mode_ == storage_mode::create) {
    std::error_code ec;
    fresh_ = std::none_of(files_.begin(), files_.end(),
                          [&](const file& f) { return !f.pad && fs::exists(f.path, ec); });
    check_space();
  }
  try {
    for (std::size_t i = 0; i < files_.size(); ++i)
      prepare(files_[i], i);
  } catch (...) {
    close();
    remove_created();
    throw;
  }
}

void file_storage::check_space() const {
  std::uint64_t needed = 0;
  for (const file& f : files_) {
    if (f.pad) continue;
    std::error_code ec;
    const std::uint64_t size = fs::file_size(f.path, ec);
    needed += ec ? f.length : f.length - std::min(size, f.length);
  }
  // The filesystem the content goes to: that of its nearest existing ancestor.
  fs::path at = content_;
  std::error_code ec;
  while (!fs::exists(at, ec) && at.has_relative_path())
    at = at.parent_path();
  const fs::space_info space = fs::space(at.empty() ? fs::path(".") : at, ec);
  if (ec || needed <= space.available) return;
  throw storage_error(fmt::format(
      "{}: needs {} bytes of disk space, only {} are available there; nothing was written",
      content_.string(), needed, space.available));
}

void file_storage::remove_created() noexcept {
  std::error_code ignored;
  for (const file& f : files_)
    if (f.created) fs::remove(f.path, ignored);
  // Deepest first; only directories left empty go.
  for (auto it = created_dirs_.rbegin(); it != created_dirs_.rend(); ++it)
    fs::remove(*it, ignored);
  created_dirs_.clear();
}

file_storage::~file_storage() {
  close();
}

void file_storage::prepare(file& f, std::size_t index) {
  if (f.pad) return;  // invariant 5
  std::error_code ec;
  if (mode_ == storage_mode::existing) {
    const auto st = fs::status(f.path, ec);
    if (ec || !fs::exists(st))
      throw storage_error(
          fmt::format("{}: missing (expected {} bytes)", f.path.string(), f.length));
    if (!fs::is_regular_file(st))
      throw storage_error(fmt::format("{}: not a regular file", f.path.string()));
    const auto size = fs::file_size(f.path, ec);
    if (ec) throw storage_error(fmt::format("{}: {}", f.path.string(), ec.message()));
    if (size != f.length)
      throw storage_error(
          fmt::format("{}: {} bytes, expected {}", f.path.string(), size, f.length));
    return;
  }
  if (f.path.has_parent_path()) {
    std::vector<fs::path> missing;
    for (fs::path p = f.path.parent_path(); p.has_relative_path() && !fs::exists(p, ec);
         p = p.parent_path())
      missing.push_back(p);
    created_dirs_.insert(created_dirs_.end(), missing.rbegin(), missing.rend());
    fs::create_directories(f.path.parent_path(), ec);
    if (ec)
      throw storage_error(fmt::format("{}: cannot create directory: {}",
                                      f.path.parent_path().string(), ec.message()));
  }
  f.created = !fs::exists(f.path, ec);
  const int fd = descriptor(index);
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw storage_error(fmt::format("{}: {}", f.path.string(), errno_text(errno)));
  if (static_cast<std::uint64_t>(st.st_size) != f.length &&
      ::ftruncate(fd, static_cast<off_t>(f.length)) != 0)
    throw storage_error(fmt::format("{}: cannot resize to {} bytes: {}", f.path.string(), f.length,
                                    errno_text(errno)));
  if (f.length > 0) {
    const int r = ::posix_fallocate(fd, 0, static_cast<off_t>(f.length));
    if (r == ENOSPC)
      throw storage_error(fmt::format("{}: no space left for {} bytes", f.path.string(), f.length));
  }
}

int file_storage::descriptor(std::size_t index) {
  file& f = files_[index];
  f.last_use = ++use_counter_;
  if (f.fd >= 0) return f.fd;
  if (num_open_ >= max_open_files) {
    auto lru = std::min_element(files_.begin(), files_.end(), [](const file& a, const file& b) {
      if ((a.fd >= 0) != (b.fd >= 0)) return a.fd >= 0;
      return a.last_use < b.last_use;
    });
    close_file(*lru);
  }
  const int flags = mode_ == storage_mode::existing ? O_RDONLY : (O_RDWR | O_CREAT);
  const int fd = ::open(f.path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0)
    throw storage_error(fmt::format("{}: cannot open: {}", f.path.string(), errno_text(errno)));
  f.fd = fd;
  ++num_open_;
  return fd;
}

void file_storage::close_file(file& f) {
  if (f.fd < 0) return;
  ::close(f.fd);
  f.fd = -1;
  --num_open_;
}

void file_storage::close() {
  for (auto& f : files_)
    close_file(f);
}

void file_storage::check_range(std::uint64_t offset, std::uint64_t length) const {
  if (offset > total_ || length > total_ - offset)
    throw storage_error(fmt::format("{}: range {}+{} outside the content ({} bytes)",
                                    content_.string(), offset, length, total_));
}

std::vector<file_slice> file_storage::slices(std::uint64_t offset, std::uint64_t length) const {
  std::vector<file_slice> out;
  if (length == 0) return out;
  check_range(offset, length);
  // The first file whose end lies beyond offset.
  auto it =
      std::upper_bound(files_.begin(), files_.end(), offset,
                       [](std::uint64_t o, const file& f) { return o < f.offset + f.length; });
  for (; it != files_.end() && length > 0; ++it) {
    if (it->length == 0) continue;
    const std::uint64_t in_file = offset - it->offset;
    const std::uint64_t n = std::min(length, it->length - in_file);
    out.push_back(file_slice{static_cast<std::size_t>(it - files_.begin()), in_file, n});
    offset += n;
    length -= n;
  }
  return out;
}

void file_storage::read(std::uint64_t offset, std::span<std::uint8_t> out) {
  std::size_t done = 0;
  for (const file_slice& s : slices(offset, out.size())) {
    if (files_[s.file].pad) {
      std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(done), s.length, std::uint8_t{0});
      done += s.length;
      continue;
    }
    const int fd = descriptor(s.file);
    std::uint64_t got = 0;
    while (got < s.length) {
      const ssize_t r = ::pread(fd, out.data() + done + got, s.length - got,
                                static_cast<off_t>(s.file_offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0)
        throw storage_error(fmt::format(
            "{}: read at {} failed: {}", files_[s.file].path.string(), s.file_offset + got,
            r == 0 ? "file is shorter than expected" : errno_text(errno)));
      got += static_cast<std::uint64_t>(r);
    }
    done += s.length;
  }
}

void file_storage::write(std::uint64_t offset, std::span<const std::uint8_t> data) {
  if (mode_ == storage_mode::existing)
    throw storage_error(fmt::format("{}: opened read only", content_.string()));
  std::size_t done = 0;
  for (const file_slice& s : slices(offset, data.size())) {
    if (files_[s.file].pad) {
      done += s.length;
      continue;
    }
    const int fd = descriptor(s.file);
    std::uint64_t put = 0;
    while (put < s.length) {
      const ssize_t r = ::pwrite(fd, data.data() + done + put, s.length - put,
                                 static_cast<off_t>(s.file_offset + put));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0)
        throw storage_error(fmt::format("{}: write at {} failed: {}", files_[s.file].path.string(),
                                        s.file_offset + put, errno_text(errno)));
      put += static_cast<std::uint64_t>(r);
    }
    done += s.length;
  }
}

void file_storage::flush() {
  if (mode_ == storage_mode::existing) return;
  for (auto& f : files_)
    if (f.fd >= 0 && ::fsync(f.fd) != 0)
      throw storage_error(fmt::format("{}: fsync failed: {}", f.path.string(), errno_text(errno)));
}

}  // namespace swarmsim::sim::real
