#include "protocol/piece_blame.hpp"

#include <algorithm>

namespace swarmsim::protocol {

namespace {
void add_once(std::vector<wire_peer_id>& to, const wire_peer_id& id) {
  if (std::find(to.begin(), to.end(), id) == to.end()) to.push_back(id);
}
}  // namespace

void piece_blame::on_block(piece_index p, block_index b, std::uint32_t blocks,
                           const wire_peer_id& from) {
  senders& s = senders_[p.value()];
  if (s.of_block.size() != blocks) s.of_block.assign(blocks, npos);
  if (b.value() >= blocks) return;
  auto it = std::find(s.ids.begin(), s.ids.end(), from);
  if (it == s.ids.end()) it = s.ids.insert(s.ids.end(), from);
  s.of_block[b.value()] = static_cast<std::uint32_t>(it - s.ids.begin());
}

bool piece_blame::wants_block_digests(piece_index p) const {
  if (failed_.contains(p.value())) return true;
  const auto it = senders_.find(p.value());
  return it != senders_.end() && it->second.ids.size() > 1;
}

std::vector<wire_peer_id> piece_blame::on_checked(piece_index p, piece_verdict verdict,
                                                  std::span<const sha1_hash> block_digests) {
  std::vector<wire_peer_id> blamed;
  senders attempt;
  if (auto it = senders_.find(p.value()); it != senders_.end()) {
    attempt = std::move(it->second);
    senders_.erase(it);
  }
  const bool digests = !block_digests.empty() && block_digests.size() == attempt.of_block.size();
  if (verdict == piece_verdict::failed) {
    if (attempt.ids.size() == 1) {
      blamed.push_back(attempt.ids.front());  // rule 1
    } else if (digests) {
      auto& kept = failed_[p.value()];
      for (std::uint32_t b = 0; b < attempt.of_block.size(); ++b)
        if (attempt.of_block[b] != npos)
          kept.push_back({b, attempt.ids[attempt.of_block[b]], block_digests[b]});
    }
    return blamed;
  }
  if (auto it = failed_.find(p.value()); it != failed_.end()) {
    if (digests)
      for (const failed_block& f : it->second)
        if (f.block < block_digests.size() && f.digest != block_digests[f.block])
          add_once(blamed, f.from);  // rule 2
    failed_.erase(it);
  }
  return blamed;
}

}  // namespace swarmsim::protocol
