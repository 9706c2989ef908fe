#include "protocol/metainfo.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>

namespace swarmsim::protocol {

sha1_hash sha1(std::span<const std::uint8_t> bytes) {
  sha1_hash out{};
  SHA1(bytes.data(), bytes.size(), out.data());
  return out;
}

sha1_hasher::sha1_hasher() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw std::bad_alloc();
  if (EVP_DigestInit_ex(ctx_, EVP_sha1(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw std::runtime_error("sha1_hasher: cannot initialise SHA-1");
  }
}

sha1_hasher::~sha1_hasher() {
  EVP_MD_CTX_free(ctx_);
}

sha1_hasher::sha1_hasher(sha1_hasher&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

sha1_hasher& sha1_hasher::operator=(sha1_hasher&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void sha1_hasher::update(std::span<const std::uint8_t> bytes) {
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1)
    throw std::runtime_error("sha1_hasher: update failed");
}

sha1_hash sha1_hasher::finish() {
  sha1_hash out{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &size) != 1 || size != out.size() ||
      EVP_DigestInit_ex(ctx_, EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("sha1_hasher: finish failed");
  return out;
}

std::vector<sha1_hash> piece_hashes(std::span<const std::uint8_t> content,
                                    std::uint32_t piece_length) {
  if (piece_length == 0) throw std::invalid_argument("piece_hashes: piece length 0");
  std::vector<sha1_hash> out;
  out.reserve((content.size() + piece_length - 1) / piece_length);
  for (std::size_t at = 0; at < content.size(); at += piece_length)
    out.push_back(
        sha1(content.subspan(at, std::min<std::size_t>(piece_length, content.size() - at))));
  return out;
}

std::uint64_t metainfo::total_size() const {
  std::uint64_t total = 0;
  for (const file_entry& f : files)
    total += f.length;
  return total;
}

torrent_geometry metainfo::geometry() const {
  return torrent_geometry(total_size(), piece_length, std::min(piece_length, default_block_size));
}

namespace {

using bencode::value;

constexpr std::size_t hash_size = std::tuple_size_v<sha1_hash>;
constexpr std::uint64_t max_length = std::numeric_limits<std::int64_t>::max();
constexpr std::array<std::string_view, 6> modelled_info_keys = {
    "files", "length", "name", "piece length", "pieces", "private"};

// Why a path component (or the torrent's name) cannot name a file safely.
std::optional<std::string_view> bad_component(std::string_view c) {
  if (c.empty()) return "empty";
  if (c == "." || c == "..") return "\".\" and \"..\" are not allowed";
  if (c.find('/') != std::string_view::npos) return "contains '/'";
  if (c.find('\0') != std::string_view::npos) return "contains a NUL byte";
  return std::nullopt;
}

// The first file (not a pad file: those are never written) whose path repeats
// another's or lies inside it, e.g. a/b and a/b/c: writing one would overwrite
// the other's bytes, or fail.
std::optional<std::string> path_conflict(const std::vector<file_entry>& files) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < files.size(); ++i)
    if (!files[i].is_pad()) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(files[a].path, a) < std::tie(files[b].path, b);
  });
  // Sorted, a path that is a prefix of others comes right before the first of them.
  for (std::size_t k = 1; k < order.size(); ++k) {
    const auto& a = files[order[k - 1]].path;
    const auto& b = files[order[k]].path;
    if (a.size() > b.size() || !std::equal(a.begin(), a.end(), b.begin())) continue;
    const std::size_t first = order[k - 1];
    const std::size_t second = order[k];
    if (a.size() == b.size())
      return fmt::format("info.files[{}].path: the same path as info.files[{}]", second, first);
    return fmt::format("info.files[{}].path: lies inside info.files[{}], which is a file", second,
                       first);
  }
  return std::nullopt;
}

std::string hashes_string(const std::vector<sha1_hash>& hashes) {
  std::string out;
  out.reserve(hashes.size() * hash_size);
  for (const sha1_hash& h : hashes)
    out.append(h.begin(), h.end());
  return out;
}

value string_list(const std::vector<std::string>& items) {
  value::list l;
  for (const std::string& s : items)
    l.emplace_back(s);
  return l;
}

value info_dictionary(const metainfo& m) {
  value::dict info = m.info_extra;
  if (m.single_file()) {
    info["length"] = static_cast<value::integer>(m.files.front().length);
  } else {
    value::list files;
    for (const file_entry& f : m.files) {
      value::dict entry{{"length", static_cast<value::integer>(f.length)},
                        {"path", string_list(f.path)}};
      if (!f.attr.empty()) entry.emplace("attr", f.attr);
      files.emplace_back(std::move(entry));
    }
    info["files"] = std::move(files);
  }
  info["name"] = m.name;
  info["piece length"] = m.piece_length;
  info["pieces"] = hashes_string(m.piece_hashes);
  if (m.private_torrent) info["private"] = 1;
  return info;
}

}  // namespace

std::optional<std::string> validate(const metainfo& m) {
  if (auto why = bad_component(m.name)) return fmt::format("info.name: {}", *why);
  if (m.piece_length == 0) return "info.piece length: must be positive";
  if (m.piece_length > default_block_size && m.piece_length % default_block_size != 0)
    return fmt::format("info.piece length: {} is not a multiple of {}", m.piece_length,
                       default_block_size);
  if (m.files.empty()) return "info.files: empty";

  std::uint64_t total = 0;
  if (m.single_file()) {
    total = m.files.front().length;
    if (total > max_length) return fmt::format("info.length: {} is too large", total);
    if (total == 0) return "info.length: the torrent holds no data";
  } else {
    for (std::size_t i = 0; i < m.files.size(); ++i) {
      const file_entry& f = m.files[i];
      if (f.path.empty()) return fmt::format("info.files[{}].path: empty", i);
      for (std::size_t j = 0; j < f.path.size(); ++j)
        if (auto why = bad_component(f.path[j]))
          return fmt::format("info.files[{}].path[{}]: {}", i, j, *why);
      if (f.length > max_length - total)
        return fmt::format("info.files[{}].length: total size exceeds {} bytes", i, max_length);
      total += f.length;
    }
    if (total == 0) return "info.files: the torrent holds no data";
    if (auto conflict = path_conflict(m.files)) return conflict;
  }

  const std::uint64_t pieces = (total + m.piece_length - 1) / m.piece_length;
  if (m.piece_hashes.size() != pieces)
    return fmt::format("info.pieces: {} hashes for {} pieces of {} bytes", m.piece_hashes.size(),
                       pieces, m.piece_length);
  if (auto err = torrent_geometry::validate(total, m.piece_length,
                                            std::min(m.piece_length, default_block_size)))
    return fmt::format("info: {}", *err);
  for (std::string_view key : modelled_info_keys)
    if (m.info_extra.contains(key) && !(key == "private" && !m.private_torrent))
      return fmt::format("info.{}: set in info_extra as well", key);
  return std::nullopt;
}

sha1_hash compute_info_hash(const metainfo& m) {
  return sha1(bencode::encode(info_dictionary(m)));
}

metainfo make_metainfo(std::string name, std::vector<file_entry> files, std::uint32_t piece_length,
                       std::vector<sha1_hash> piece_hashes, std::string announce,
                       torrent_options options) {
  metainfo m;
  m.announce = std::move(announce);
  m.announce_list = std::move(options.announce_list);
  m.creation_date = options.creation_date;
  m.created_by = std::move(options.created_by);
  m.name = std::move(name);
  m.piece_length = piece_length;
  m.piece_hashes = std::move(piece_hashes);
  m.files = std::move(files);
  m.private_torrent = options.private_torrent;
  if (auto err = validate(m)) throw std::invalid_argument(*err);
  m.info_hash = compute_info_hash(m);
  return m;
}

std::vector<std::uint8_t> encode_torrent(const metainfo& m) {
  value::dict top;
  if (!m.announce.empty()) top["announce"] = m.announce;
  if (!m.announce_list.empty()) {
    value::list tiers;
    for (const auto& tier : m.announce_list)
      tiers.push_back(string_list(tier));
    top["announce-list"] = std::move(tiers);
  }
  if (m.created_by) top["created by"] = *m.created_by;
  if (m.creation_date) top["creation date"] = *m.creation_date;
  top["info"] = info_dictionary(m);
  return bencode::encode(top);
}

namespace {

// Reads the fields of a decoded torrent into a metainfo; the first problem found
// is returned as text naming the field.
class torrent_reader {
 public:
  std::optional<std::string> read(const value& root, metainfo& m) {
    if (!root.is_dict()) return "torrent: not a dictionary";
    if (auto err = optional_string(root, "announce", "announce", m.announce)) return err;
    if (auto err = read_announce_list(root, m)) return err;
    if (const value* v = root.find("creation date")) {
      if (!v->as_integer()) return "creation date: not an integer";
      m.creation_date = *v->as_integer();
    }
    if (const value* v = root.find("created by")) {
      if (!v->as_string()) return "created by: not a string";
      m.created_by = *v->as_string();
    }
    const value* info = root.find("info");
    if (!info) return "info: missing";
    if (!info->is_dict()) return "info: not a dictionary";
    return read_info(*info, m);
  }

 private:
  static std::optional<std::string> optional_string(const value& dict, std::string_view key,
                                                    std::string_view field, std::string& out) {
    const value* v = dict.find(key);
    if (!v) return std::nullopt;
    if (!v->as_string()) return fmt::format("{}: not a string", field);
    out = *v->as_string();
    return std::nullopt;
  }

  static std::optional<std::string> read_announce_list(const value& root, metainfo& m) {
    const value* v = root.find("announce-list");
    if (!v) return std::nullopt;
    const value::list* tiers = v->as_list();
    if (!tiers) return "announce-list: not a list";
    for (std::size_t i = 0; i < tiers->size(); ++i) {
      const value::list* tier = (*tiers)[i].as_list();
      if (!tier) return fmt::format("announce-list[{}]: not a list", i);
      std::vector<std::string> urls;
      for (std::size_t j = 0; j < tier->size(); ++j) {
        const value::string* url = (*tier)[j].as_string();
        if (!url) return fmt::format("announce-list[{}][{}]: not a string", i, j);
        urls.push_back(*url);
      }
      m.announce_list.push_back(std::move(urls));
    }
    return std::nullopt;
  }

  static std::optional<std::string> read_length(const value* v, std::string_view field,
                                                std::uint64_t& out) {
    if (!v) return fmt::format("{}: missing", field);
    if (!v->as_integer()) return fmt::format("{}: not an integer", field);
    if (*v->as_integer() < 0) return fmt::format("{}: {} is negative", field, *v->as_integer());
    out = static_cast<std::uint64_t>(*v->as_integer());
    return std::nullopt;
  }

  static std::optional<std::string> read_files(const value& v, metainfo& m) {
    const value::list* files = v.as_list();
    if (!files) return "info.files: not a list";
    if (files->empty()) return "info.files: empty";
    for (std::size_t i = 0; i < files->size(); ++i) {
      const value& f = (*files)[i];
      if (!f.is_dict()) return fmt::format("info.files[{}]: not a dictionary", i);
      file_entry entry;
      if (auto err =
              read_length(f.find("length"), fmt::format("info.files[{}].length", i), entry.length))
        return err;
      if (const value* attr = f.find("attr")) {
        if (!attr->as_string()) return fmt::format("info.files[{}].attr: not a string", i);
        entry.attr = *attr->as_string();
      }
      const value* path = f.find("path");
      if (!path) return fmt::format("info.files[{}].path: missing", i);
      const value::list* parts = path->as_list();
      if (!parts) return fmt::format("info.files[{}].path: not a list", i);
      if (parts->empty()) return fmt::format("info.files[{}].path: empty", i);
      for (std::size_t j = 0; j < parts->size(); ++j) {
        const value::string* part = (*parts)[j].as_string();
        if (!part) return fmt::format("info.files[{}].path[{}]: not a string", i, j);
        entry.path.push_back(*part);
      }
      m.files.push_back(std::move(entry));
    }
    return std::nullopt;
  }

  static std::optional<std::string> read_info(const value& info, metainfo& m) {
    const value* name = info.find("name");
    if (!name) return "info.name: missing";
    if (!name->as_string()) return "info.name: not a string";
    m.name = *name->as_string();

    const value* piece_length = info.find("piece length");
    if (!piece_length) return "info.piece length: missing";
    if (!piece_length->as_integer()) return "info.piece length: not an integer";
    const value::integer pl = *piece_length->as_integer();
    if (pl <= 0) return fmt::format("info.piece length: {} is not positive", pl);
    if (pl > std::numeric_limits<std::uint32_t>::max())
      return fmt::format("info.piece length: {} is too large", pl);
    m.piece_length = static_cast<std::uint32_t>(pl);

    const value* pieces = info.find("pieces");
    if (!pieces && (info.find("meta version") || info.find("file tree")))
      return "v2-only torrents are not supported";
    if (!pieces) return "info.pieces: missing";
    if (!pieces->as_string()) return "info.pieces: not a string";
    const std::string& hashes = *pieces->as_string();
    if (hashes.size() % hash_size != 0)
      return fmt::format("info.pieces: length {} is not a multiple of {}", hashes.size(),
                         hash_size);
    m.piece_hashes.resize(hashes.size() / hash_size);
    for (std::size_t i = 0; i < m.piece_hashes.size(); ++i)
      std::copy_n(hashes.begin() + static_cast<std::ptrdiff_t>(i * hash_size), hash_size,
                  m.piece_hashes[i].begin());

    const value* length = info.find("length");
    const value* files = info.find("files");
    if (length && files) return "info: has both length and files";
    if (!length && !files) return "info: has neither length nor files";
    if (length) {
      file_entry single;
      if (auto err = read_length(length, "info.length", single.length)) return err;
      m.files.push_back(std::move(single));
    } else if (auto err = read_files(*files, m)) {
      return err;
    }

    // A private flag other than 1 stays in info_extra so that the info
    // dictionary re-encodes as it was.
    const value* is_private = info.find("private");
    if (is_private && !is_private->as_integer()) return "info.private: not an integer";
    m.private_torrent = is_private && *is_private->as_integer() == 1;

    m.info_extra = *info.as_dict();
    for (std::string_view key : modelled_info_keys) {
      if (key == "private" && !m.private_torrent) continue;
      if (auto it = m.info_extra.find(key); it != m.info_extra.end()) m.info_extra.erase(it);
    }
    return std::nullopt;
  }
};

}  // namespace

metainfo_result parse_torrent(std::span<const std::uint8_t> bytes) {
  const bencode::decode_options options{.keys = bencode::key_order::lenient};
  const bencode::decode_result decoded = bencode::decode(bytes, options);
  if (!decoded) {
    const bencode::decode_error& e = decoded.error();
    return fmt::format("torrent: byte {}: {}", e.offset, e.text);
  }
  metainfo m;
  if (auto err = torrent_reader{}.read(decoded.get(), m)) return std::move(*err);
  if (auto err = validate(m)) return std::move(*err);

  const std::optional<bencode::byte_range> info = bencode::find_span(bytes, {"info"}, options);
  if (!info) return std::string("info: missing");
  m.info_hash = sha1(bytes.subspan(info->offset, info->size));
  return m;
}

}  // namespace swarmsim::protocol
