#pragma once
// A torrent's content in real files: the files of the metainfo laid end to end
// (BEP 3: a multi-file torrent's pieces span file boundaries), read and written
// with pread/pwrite at their offsets.
//
// file_storage keeps each file's path, length and offset in the flat content,
// and a small cache of open descriptors. Invariants:
// 1. A single-file torrent's content path is the file itself; a multi-file
//    torrent's is its directory, and file i lives at content / files[i].path.
// 2. After construction every file exists as a regular file of exactly its
//    length (storage_mode::create makes directories and files and sizes them,
//    preallocating the space; storage_mode::existing only checks, and then never
//    writes).
// 3. At most max_open_files descriptors are open at once (least recently used
//    closed first), so torrents with thousands of files do not exhaust them.
// 4. slices(offset, length) covers [offset, offset + length) in order with
//    non-empty pieces of files; zero-length files never appear in it.
// 5. Pad files (BEP 47) are never created, opened or required: they read as
//    zeros and writes to them are dropped.
// 6. storage_mode::create first checks that the filesystem has room for every
//    byte still to allocate, and a constructor that throws removes the files
//    and directories it created: a failed start leaves the disk as it was.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/metainfo.hpp"
#include "sim/real/storage/piece_store.hpp"

namespace swarmsim::sim::real {

enum class storage_mode : std::uint8_t {
  existing,  // seed: files must exist with their exact sizes; read only
  create,    // download: create what is missing, size every file, read and write
};

// A run of bytes of one file.
struct file_slice {
  std::size_t file = 0;
  std::uint64_t file_offset = 0;
  std::uint64_t length = 0;
  friend bool operator==(const file_slice&, const file_slice&) = default;
};

class file_storage final : public piece_store {
 public:
  static constexpr std::size_t max_open_files = 64;

  // Throws storage_error naming the file (and the size found) when a file is
  // missing or of the wrong size (existing), or cannot be created or the disk
  // lacks room for it (create).
  file_storage(const protocol::metainfo& meta, std::filesystem::path content, storage_mode mode);
  ~file_storage() override;
  file_storage(const file_storage&) = delete;
  file_storage& operator=(const file_storage&) = delete;

  std::uint64_t total_size() const override { return total_; }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) override;
  void write(std::uint64_t offset, std::span<const std::uint8_t> data) override;
  void flush() override;
  // Closes every descriptor (e.g. before the content is renamed).
  void close();

  const std::filesystem::path& content() const { return content_; }
  // create mode: whether every file was created by this constructor (no earlier
  // bytes to re-check; a resume has at least one file already there).
  bool created_fresh() const { return fresh_; }
  std::size_t num_files() const { return files_.size(); }
  const std::filesystem::path& path(std::size_t file) const { return files_[file].path; }
  std::vector<file_slice> slices(std::uint64_t offset, std::uint64_t length) const;

  // Where a torrent's files live under `content` (rule 1), in metainfo order.
  static std::vector<std::filesystem::path> file_paths(const protocol::metainfo& meta,
                                                       const std::filesystem::path& content);

 private:
  struct file {
    std::filesystem::path path;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    int fd = -1;
    std::uint64_t last_use = 0;
    bool pad = false;
    bool created = false;  // by this constructor (invariant 6)
  };

  void prepare(file& f, std::size_t index);
  int descriptor(std::size_t index);
  void close_file(file& f);
  void check_range(std::uint64_t offset, std::uint64_t length) const;
  void check_space() const;
  void remove_created() noexcept;

  std::filesystem::path content_;
  storage_mode mode_;
  std::vector<file> files_;
  std::vector<std::filesystem::path> created_dirs_;  // by this constructor, outermost first
  std::uint64_t total_ = 0;
  std::size_t num_open_ = 0;
  std::uint64_t use_counter_ = 0;
  bool fresh_ = false;
};

}  // namespace swarmsim::sim::real
