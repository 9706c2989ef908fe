#include "sim/real/storage/torrent_maker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <vector>

namespace swarmsim::sim::real {

namespace fs = std::filesystem;

namespace {

struct found_file {
  fs::path path;  // on disk
  std::vector<std::string> components;
  std::uint64_t length = 0;
};

std::vector<found_file> list_directory(const fs::path& dir) {
  std::vector<found_file> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) throw torrent_maker_error(fmt::format("{}: {}", dir.string(), ec.message()));
  for (; it != end; it.increment(ec)) {
    if (ec) throw torrent_maker_error(fmt::format("{}: {}", dir.string(), ec.message()));
    std::error_code sec;
    if (!it->is_regular_file(sec)) continue;
    found_file f;
    f.path = it->path();
    // Lexically: fs::relative would resolve a symlink to its target's name, and
    // a link beside its target would then list that file twice.
    for (const auto& c : it->path().lexically_relative(dir))
      f.components.push_back(c.string());
    f.length = it->file_size(sec);
    if (sec) throw torrent_maker_error(fmt::format("{}: {}", f.path.string(), sec.message()));
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(),
            [](const found_file& a, const found_file& b) { return a.components < b.components; });
  return out;
}

std::string name_of(const fs::path& content) {
  fs::path p = content;
  if (!p.has_filename()) p = p.parent_path();  // "dir/"
  std::error_code ec;
  if (p.filename() == "." || p.filename() == ".." || p.filename().empty()) {
    const fs::path c = fs::weakly_canonical(p, ec);
    if (!ec) p = c;
  }
  return p.filename().string();
}

}  // namespace

std::uint32_t default_piece_size(std::uint64_t total_size) {
  std::uint32_t size = min_piece_size;
  while (size < max_default_piece_size && (total_size + size - 1) / size > target_pieces)
    size *= 2;
  return size;
}

std::optional<std::string> check_piece_size(std::uint64_t size) {
  if (size < min_piece_size) return fmt::format("{} bytes is below 16 KiB", size);
  if (size > (std::uint64_t{1} << 30)) return fmt::format("{} bytes is above 1 GiB", size);
  if ((size & (size - 1)) != 0) return fmt::format("{} bytes is not a power of two", size);
  return std::nullopt;
}

protocol::metainfo make_torrent(const fs::path& content, const make_torrent_options& options) {
  std::error_code ec;
  const auto st = fs::status(content, ec);
  if (ec || !fs::exists(st))
    throw torrent_maker_error(fmt::format("{}: not found", content.string()));
  std::vector<found_file> files;
  const bool single = fs::is_regular_file(st);
  if (single) {
    files.push_back(found_file{content, {}, fs::file_size(content, ec)});
    if (ec) throw torrent_maker_error(fmt::format("{}: {}", content.string(), ec.message()));
  } else if (fs::is_directory(st)) {
    files = list_directory(content);
    if (files.empty())
      throw torrent_maker_error(fmt::format("{}: no files in this directory", content.string()));
  } else {
    throw torrent_maker_error(fmt::format("{}: neither a file nor a directory", content.string()));
  }
  std::uint64_t total = 0;
  for (const auto& f : files)
    total += f.length;
  if (total == 0) throw torrent_maker_error(fmt::format("{}: 0 bytes to share", content.string()));

  const std::uint32_t piece_size = options.piece_size.value_or(default_piece_size(total));
  if (auto why = check_piece_size(piece_size))
    throw torrent_maker_error(fmt::format("piece size: {}", *why));

  std::vector<protocol::sha1_hash> hashes;
  hashes.reserve(static_cast<std::size_t>((total + piece_size - 1) / piece_size));
  protocol::sha1_hasher hasher;
  std::uint64_t in_piece = 0;
  std::uint64_t hashed = 0;
  std::vector<std::uint8_t> buffer(std::min<std::uint64_t>(piece_size, 1 << 20));
  for (const auto& f : files) {
    std::ifstream in(f.path, std::ios::binary);
    if (!in) throw torrent_maker_error(fmt::format("{}: cannot open for reading", f.path.string()));
    std::uint64_t left = f.length;
    while (left > 0) {
      const std::uint64_t want =
          std::min<std::uint64_t>({left, buffer.size(), piece_size - in_piece});
      in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(want));
      if (static_cast<std::uint64_t>(in.gcount()) != want)
        throw torrent_maker_error(fmt::format(
            "{}: shorter than its {} bytes (changed while hashing?)", f.path.string(), f.length));
      hasher.update(std::span<const std::uint8_t>(buffer.data(), want));
      left -= want;
      in_piece += want;
      hashed += want;
      if (in_piece == piece_size) {
        hashes.push_back(hasher.finish());
        in_piece = 0;
      }
      if (options.progress) options.progress(hashed, total);
    }
    if (in.peek() != std::ifstream::traits_type::eof())
      throw torrent_maker_error(fmt::format("{}: longer than its {} bytes (changed while hashing?)",
                                            f.path.string(), f.length));
  }
  if (in_piece > 0) hashes.push_back(hasher.finish());

  std::vector<protocol::file_entry> entries;
  for (auto& f : files)
    entries.push_back(protocol::file_entry{
        f.length, single ? std::vector<std::string>{} : std::move(f.components)});
  try {
    return protocol::make_metainfo(name_of(content), std::move(entries), piece_size,
                                   std::move(hashes), options.announce, options.torrent);
  } catch (const std::invalid_argument& e) {
    throw torrent_maker_error(fmt::format("{}: {}", content.string(), e.what()));
  }
}

}  // namespace swarmsim::sim::real
