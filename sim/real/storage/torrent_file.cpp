#include "sim/real/storage/torrent_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "sim/real/storage/file_storage.hpp"

namespace swarmsim::sim::real {

namespace fs = std::filesystem;

parsed<protocol::metainfo> read_torrent_file(const fs::path& file) {
  using result = parsed<protocol::metainfo>;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return result::fail(fmt::format("{}: {}", file.string(),
                                    fs::exists(file, ec) ? "not a regular file" : "not found"));
  const auto size = fs::file_size(file, ec);
  constexpr std::uintmax_t max_torrent_size = 64 << 20;
  if (ec) return result::fail(fmt::format("{}: cannot read: {}", file.string(), ec.message()));
  if (size > max_torrent_size)
    return result::fail(
        fmt::format("{}: {} bytes, too large for a .torrent file", file.string(), size));
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return result::fail(fmt::format("{}: cannot read: {}", file.string(), std::strerror(errno)));
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  if (bytes.empty() || bytes.front() != 'd')  // every .torrent is a bencoded dictionary
    return result::fail(fmt::format(
        "{}: not a .torrent file (it does not start with a bencoded dictionary); to share "
        "this file, make a torrent of it first: swarmsim torrent create {} --announce "
        "http://HOST:PORT/announce -o NAME.torrent",
        file.string(), file.string()));
  auto m = protocol::parse_torrent(bytes);
  if (!m) return result::fail(fmt::format("{}: {}", file.string(), m.error()));
  return result::ok(std::move(m).get());
}

void write_torrent_file(const fs::path& file, const protocol::metainfo& meta) {
  const auto bytes = protocol::encode_torrent(meta);
  fs::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw std::runtime_error(
          fmt::format("{}: cannot write: {}", tmp.string(), std::strerror(errno)));
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      fs::remove(tmp, ignored);
      throw std::runtime_error(fmt::format("{}: write failed", tmp.string()));
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw std::runtime_error(
        fmt::format("{}: cannot rename into place: {}", file.string(), ec.message()));
  }
}

std::string announce_url(const protocol::metainfo& meta) {
  if (!meta.announce.empty()) return meta.announce;
  for (const auto& tier : meta.announce_list)
    for (const auto& url : tier)
      if (!url.empty()) return url;
  return {};
}

fs::path locate_content(const protocol::metainfo& meta, const fs::path& data) {
  std::error_code ec;
  if (meta.single_file()) return fs::is_directory(data, ec) ? data / meta.name : data;
  const auto first = file_storage::file_paths(meta, data).front();
  if (fs::exists(first, ec)) return data;
  if (fs::is_directory(data / meta.name, ec)) return data / meta.name;
  return data;
}

}  // namespace swarmsim::sim::real
