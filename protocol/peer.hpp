#pragma once
// One local BitTorrent client in one torrent: its content (through the piece
// picker), its connections (sessions), its choker and its tracker schedule.
// Sans-I/O: inputs are method calls with the current time, outputs are actions
// the driver drains and carries out.
//
// Invariants:
// 1. Every connection in sessions() is open; a closed connection's outstanding
//    requests have been returned to the picker and its availability removed.
// 2. session::wanted == number of pieces the remote has and we lack, so
//    am_interested == (wanted > 0) once the remote's bitfield is known. With
//    piece_check::by_driver a piece awaiting its check counts as had (the
//    picker will not hand it out), and as lacking again if it fails.
// 3. A request is queued for upload only while we unchoke the remote; choking a
//    remote drops its queue, so no piece is sent while choking (BEP 3).
// 4. Every piece completes exactly once and is announced with one broadcast_have
//    to the connections peer_options::send_have chooses.
// 5. Connections turn over: one on which neither side was interested for
//    inactivity_timeout is closed; a peer with every connection in use makes room
//    for an incoming one by closing one that held a seed slot without asking
//    for anything (choker rule 10), else one on which neither side is
//    interested (the one idle longest; libtorrent's disconnect ranking also puts peers that are
//    not interesting first); a remote whose connection closed without fault
//    goes back to the address list, to be tried again after reconnect_delay;
//    and a peer left with fewer than min_peers connections announces again
//    early. Seeds open connections too, so a seed whose remotes left finds new
//    ones.
// 6. Super-seeding (BEP 16, choker_options::super_seeding), for connections made
//    while we are a seed: no bitfield; one piece at a time is revealed to each
//    remote with HAVE, the one fewest remotes were shown (then the rarest among
//    our remotes, random among equals). A remote is shown its next piece only
//    once another remote announces the piece it was shown (it passed the piece
//    on), or at once if it is our only connection or it already had the piece.
// 7. At most one connection per remote peer id (from its handshake; addresses
//    of incoming connections are ephemeral): when a handshake names a remote we
//    already have an active connection to, the one opened by the smaller peer id
//    is kept (the older one if the same side opened both), so both sides keep
//    the same one, and the other is closed (disconnect_reason::duplicate).
// 8. A message moves next_deadline() only if it also pushes an action, so a
//    driver that re-arms its timer whenever it drains actions need not ask after
//    a message that pushed none. on_message checks it where assertions are on
//    (std::logic_error).
// 9. Every REQUEST is answered with its block or, where BEP 6 allows it, a
//    REJECT_REQUEST (while we choke, past max_request_queue, when cancelled, when
//    we choke with requests queued); without the fast extension a request past
//    the queue closes the connection (too_many_requests). None is dropped silently.
// 10. Our requests outstanding on a connection: pipeline_depth
//    (request_queue::fixed), or its download rate x request_queue_time / block
//    size between pipeline_depth and max_pipeline_depth (adaptive); never more
//    than the remote's BEP 10 `reqq`.
// 11. piece_check::by_driver: a failed piece blames only the remotes proven to
//    have corrupted it (piece_blame: the only sender of the piece, or a sender
//    whose block differs from the one in the piece that later passed). A
//    remote blamed more than max_hash_failures times is disconnected and
//    banned: its address is not dialled again and a handshake with its peer id
//    is refused (disconnect_reason::banned).
// 12. A PIECE is accepted only for a block requested on that connection: still
//    outstanding, or withdrawn lately (our CANCEL, or the remote's CHOKE, may
//    cross the block on the wire); any other counts as wasted and changes
//    nothing else, so a remote cannot spoil pieces with blocks nobody asked it
//    for.

#include <array>
#include <cstdint>
#include <optional>
#include <ranges>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/bitfield.hpp"
#include "protocol/choker.hpp"
#include "protocol/message.hpp"
#include "protocol/neighbour_strategy.hpp"
#include "protocol/piece_blame.hpp"
#include "protocol/piece_picker.hpp"
#include "protocol/playback.hpp"
#include "protocol/session.hpp"
#include "protocol/torrent_geometry.hpp"
#include "protocol/tracker.hpp"
#include "protocol/types.hpp"

namespace swarmsim::protocol {

// Who checks a completed piece: nobody (the simulator moves no bytes), or the
// driver, which hashes the bytes and reports back with peer::on_piece_checked.
enum class piece_check : std::uint8_t { none, by_driver };

// Why the peer closed a connection (action::disconnect). The reasons from
// handshake_expected on are protocol errors (is_protocol_error): the remote
// broke BEP 3, and peer_stats::protocol_errors counts them.
enum class disconnect_reason : std::uint8_t {
  stopped,                  // we left the swarm (peer::stop)
  make_room,                // idle, closed for an incoming connection (invariant 5)
  inactive,                 // neither side interested for inactivity_timeout (invariant 5)
  both_seeds,               // the remote and we are both seeds: nothing to exchange
  hash_failures,            // the remote sent parts of more than max_hash_failures bad pieces
  duplicate,                // another connection to the same remote peer id won (invariant 7)
  banned,                   // the remote was proven to send corrupt data (invariant 11)
  handshake_expected,       // a message before the remote's handshake
  wrong_info_hash,          // a handshake for another torrent
  connected_to_self,        // a handshake with our own peer id
  second_handshake,         // a handshake after the first
  bad_bitfield,             // a bitfield of the wrong size
  bad_have,                 // a HAVE of a piece the torrent does not have
  bad_request,              // a REQUEST of no block of the torrent, or of a piece we lack
  bad_piece,                // a PIECE that is no block of the torrent
  not_negotiated,           // a BEP 6 or BEP 10 message on a connection that did not negotiate it
  bad_extension_handshake,  // a BEP 10 handshake that is not a bencoded dictionary
  too_many_requests,        // beyond max_request_queue without the fast extension to refuse one
};
std::string_view to_string(disconnect_reason r);
constexpr bool is_protocol_error(disconnect_reason r) {
  return r >= disconnect_reason::handshake_expected;
}
// Which connections hear of a piece we completed (action::broadcast_have). Both
// count only connections whose handshake we have received: our bitfield, if we
// had a piece, went out then and covers every piece completed before (BEP 3:
// nothing precedes the bitfield), and a HAVE sent earlier would precede it.
enum class have_to : std::uint8_t {
  // Every such connection, whether or not the remote has the piece: mainline
  // BitTorrent, and libtorrent with send_redundant_have (its default).
  all,
  // Those whose remote is not known to have the piece (by its bitfield or a
  // HAVE): one message fewer per remote that could not use it.
  lacking,
};

// The optional wire extensions the peer offers in its handshake; one is used on
// a connection when both sides offer it. The simulator's peers offer none.
enum class wire_extensions : std::uint8_t {
  none,
  // BEP 6 (HAVE_ALL / HAVE_NONE, REJECT_REQUEST) and BEP 10 (the extension
  // handshake with `reqq`, `v` and `p`; no extension messages beyond it).
  fast_and_extension_protocol,
};
// How many requests a connection keeps outstanding (invariant 10).
enum class request_queue : std::uint8_t {
  fixed,     // pipeline_depth (mainline)
  adaptive,  // rate x request_queue_time / block size (libtorrent)
};

struct peer_options {
  picker_options picker;
  choker_options choker;
  // How many connections, whom to drop, how often to announce
  // (protocol/neighbour_strategy.hpp): mainline follows max_connections,
  // max_initiate, min_peers and numwant below; others start from them.
  strategy_ref neighbours{&mainline_neighbours_info(), {}};
  std::uint32_t pipeline_depth = 5;  // outstanding requests per connection (mainline)
  request_queue queue = request_queue::fixed;
  // request_queue::adaptive: seconds of the connection's download rate to keep
  // requested (libtorrent request_queue_time), and the largest depth
  // (libtorrent max_out_request_queue); pipeline_depth is the smallest.
  duration request_queue_time = std::chrono::seconds(3);
  std::uint32_t max_pipeline_depth = 500;
  // How often the rate request_queue::adaptive uses is measured.
  duration request_rate_interval = std::chrono::seconds(1);
  wire_extensions extensions = wire_extensions::none;
  // In + out. max_connections_limit is what a scenario may ask for: 2^20, the
  // default ceiling on a Linux process's open files (fs.nr_open), so no real
  // client holds more connections; the peer itself takes any value.
  std::uint32_t max_connections = 50;
  static constexpr std::uint32_t max_connections_limit = 1u << 20;
  std::uint32_t max_initiate = 40;  // outgoing connections we open (mainline: 40)
  // Incoming connections accepted from one IP address (0: any number): one host
  // cannot take every connection slot. libtorrent allows 1 unless told
  // otherwise; 8 leaves room for several clients behind one NAT.
  std::uint32_t max_connections_per_address = 8;
  // Fewer open (or pending) connections than this: announce again before the
  // interval is up (no sooner than the tracker's min interval after the last
  // announce). Mainline's min_peers.
  std::uint32_t min_peers = 20;
  // Peers asked of the tracker per announce (none with `stopped`): mainline's
  // 50; libtorrent asks for 200; the tracker may give fewer.
  std::uint32_t numwant = 50;
  // A connection on which neither side has been interested for this long is
  // closed, to make room for useful ones (libtorrent inactivity_timeout, 10 min).
  // Checked at each rechoke. Zero: never.
  duration inactivity_timeout = std::chrono::seconds(600);
  // No outgoing connection to an address whose connection closed (or could not
  // be made) less than this long ago (libtorrent min_reconnect_time).
  duration reconnect_delay = std::chrono::seconds(60);
  // Requests queued from one remote; the BEP 10 `reqq` we advertise.
  std::uint32_t max_request_queue = 250;
  duration keep_alive_interval = std::chrono::seconds(120);  // BEP 3: 2 minutes
  duration announce_interval = std::chrono::seconds(300);    // until the tracker says otherwise
  piece_check check = piece_check::none;
  std::uint32_t max_hash_failures = 3;  // pieces a remote may corrupt before we drop it
  have_to send_have = have_to::all;
  // A viewer playing the content while it downloads (protocol/playback.hpp);
  // off unless bitrate > 0. It wants to start start_offset after start().
  playback_options playback;

  friend bool operator==(const peer_options&, const peer_options&) = default;
};

// The stages of peer::prefetch_have, in the order a HAVE's delivery reads them:
// the peer's members (the session table, the picker's), the session of the
// connection and the picker's entry for the piece, the word of the remote's
// bitfield that holds the piece (its address is in the session).
enum class have_prefetch : std::uint8_t { members, session, bitfield_word };

namespace action {
struct send {
  connection_id conn;
  message msg;
};
// Tell the connections in `to` that we have `piece`: the ones peer_options::
// send_have chose when the piece completed, in the order they opened. A driver
// sends the HAVE on those still open when it delivers, and on no other.
struct broadcast_have {
  piece_index piece;
  std::vector<connection_id> to;
};
// `conn` has queued block requests: pull them with peer::next_upload().
struct upload_ready {
  connection_id conn;
};
struct connect {
  endpoint address;
};
// Close `conn`; the peer has already forgotten it.
struct disconnect {
  connection_id conn;
  disconnect_reason reason;
};
struct announce {
  announce_event event;
  std::uint32_t numwant = 0;  // peer_options::numwant; 0 with `stopped`
};
struct piece_completed {
  piece_index piece;
};
// Every block of `piece` has arrived (piece_check::by_driver): hash it and call
// peer::on_piece_checked, with the SHA-1 of each block too when block_digests
// (invariant 11). The piece counts as ours only once it passed.
struct check_piece {
  piece_index piece;
  bool block_digests = false;
};
struct download_completed {};
}  // namespace action

using peer_action =
    std::variant<action::send, action::broadcast_have, action::upload_ready, action::connect,
                 action::disconnect, action::announce, action::piece_completed,
                 action::download_completed, action::check_piece>;

// Byte totals of one local peer.
struct peer_stats {
  std::uint64_t uploaded = 0;
  std::uint64_t downloaded = 0;
  std::uint64_t wasted = 0;     // payload received that we already had or did not need
  std::uint64_t wire_sent = 0;  // every byte on the wire, payload and headers
  std::uint64_t wire_received = 0;
  std::uint32_t protocol_errors = 0;  // connections closed for a message BEP 3 forbids
  std::uint32_t hash_failures = 0;    // pieces that failed their check
  std::optional<time_point> first_piece;
  std::optional<time_point> completed;
};

class peer {
 public:
  peer(const torrent_geometry& geometry, sha1_hash info_hash, wire_peer_id id, endpoint self,
       peer_options options, std::uint64_t seed);

  // --- content at start ---
  void set_have(piece_index p) { picker_.set_have(p); }
  void set_have_all() { picker_.set_have_all(); }

  // --- lifecycle ---
  // Joins the swarm: announces "started" and arms the timers.
  void start(time_point now);
  // Leaves: announces "stopped" and closes every connection (disconnect actions).
  void stop(time_point now);
  bool stopped() const { return stopped_; }

  // --- connections ---
  // A connection was established (outgoing: we asked for it with action::connect).
  // Returns nullopt if we refuse it (full and no idle connection to close for it
  // (invariant 5), already connected to `remote`, max_connections_per_address
  // incoming ones from its address already, stopped).
  std::optional<connection_id> on_connected(endpoint remote, bool outgoing, time_point now);
  // An action::connect could not be carried out.
  void on_connect_failed(endpoint remote, time_point now);
  // The remote closed the connection (or it broke).
  void on_disconnected(connection_id conn, time_point now);
  // Whether on_connected would take an incoming connection now: not stopped, and
  // a free slot or an idle connection to close for it (invariant 5).
  bool can_accept(time_point now) const;

  // --- input ---
  void on_message(connection_id conn, const message& m, time_point now);
  // The same for one message type, without building a `message` (M is one of
  // its alternatives): the simulator delivers millions of HAVEs, REQUESTs and
  // PIECEs this way. Both overloads run the same handlers.
  template <typename M>
  void on_message(connection_id conn, const M& m, time_point now);
  void on_tracker_response(const announce_response& r, time_point now);
  // The driver's verdict on an action::check_piece, with one SHA-1 per block when
  // it asked for them. A failed piece is fetched again; the remotes proven to
  // have corrupted it are blamed (invariant 11).
  void on_piece_checked(piece_index p, piece_verdict verdict, time_point now,
                        std::span<const sha1_hash> block_digests = {});
  // Whether a PIECE `m` arriving on `conn` would be accepted (invariant 12): a
  // driver that stores blocks writes only those.
  bool wants_block(connection_id conn, const msg::piece& m) const;

  // --- upload pull ---
  // The next block to send on `conn` (data empty: the driver fills it if it moves
  // real bytes), or nullopt if nothing is queued or we choke the remote.
  std::optional<msg::piece> next_upload(connection_id conn, time_point now);
  // Upload strategy rule 6: whether the strategy orders the uplink's blocks,
  // and which of `ready` (connections has_upload() holds for, never empty, in
  // the driver's order) sends the next one. Without an order, the first:
  // drivers serve in turn.
  bool orders_uploads() const { return orders_uploads_; }
  std::size_t choose_upload(std::span<const connection_id> ready, time_point now);
  bool has_upload(connection_id conn) const {
    const session* s = find(conn);
    return s && !s->am_choking && !s->upload_queue.empty();
  }

  // --- timers ---
  time_point next_deadline() const;
  void on_deadline(time_point now);

  // --- output ---
  // Moves the pending actions into `out` (cleared first).
  void drain_actions(std::vector<peer_action>& out) {
    out.clear();
    out.swap(actions_);
  }
  bool has_actions() const { return !actions_.empty(); }

  // --- introspection ---
  const piece_picker& picker() const { return picker_; }
  // The playback of the content as it downloads (peer_options::playback), or
  // nullptr; advanced to the last piece completion.
  const class playback* playback_state() const { return playback_.get(); }
  // The neighbour strategy's limits (max_connections, max_initiate, min_peers,
  // numwant), fixed for the peer's life.
  const neighbour_limits& limits() const { return limits_; }
  const bitfield& have() const { return picker_.have_bits(); }
  bool is_seed() const { return picker_.is_seed(); }
  const peer_stats& stats() const { return stats_; }
  const peer_options& options() const { return options_; }
  const sha1_hash& info_hash() const { return info_hash_; }
  const wire_peer_id& id() const { return id_; }
  endpoint address() const { return self_; }
  std::size_t num_connections() const { return num_open_; }
  // Open sessions; iterate with for_each_session.
  template <typename F>
  void for_each_session(F&& f) const {
    for (const session& s : all_sessions())
      if (s.open) f(s);
  }
  // The open session of `c`, nullptr if none (inline: the driver asks on every
  // delivery).
  const session* find(connection_id c) const {
    const std::uint32_t slot = slot_of(c);
    if (slot >= sessions_.size()) return nullptr;
    const session& s = sessions_[slot];
    return s.id == c && s.open ? &s : nullptr;
  }
  // A dense index of connection `c`, for a driver's own per-connection arrays:
  // 1. at most limits().max_connections (open connections, plus one that make_room
  //    closed for the newest: see on_connected);
  // 2. unique among the open connections and that closed one;
  // 3. given to a later connection once `c` has closed and a later on_connected
  //    call began (so the driver has heard of the close by then).
  // It reads no state (drivers call it on every message); the index of a
  // connection that closed may belong to a later one: compare the ids.
  static constexpr std::uint32_t slot_of(connection_id c) {
    return static_cast<std::uint32_t>(c.value());
  }
  // A cache hint for a driver that delivers one HAVE for piece `p` to many cold
  // peers in a row: each stage fetches what the next one reads, so a driver
  // calls it for a receiver some deliveries ahead of on_message(c, HAVE p),
  // one stage a delivery, in the order of have_prefetch (members three ahead,
  // session two, bitfield_word one, say). A pure hint: it changes nothing.
  void prefetch_have(connection_id c, piece_index p, have_prefetch stage) const {
    switch (stage) {
      case have_prefetch::members:
        __builtin_prefetch(&sessions_);
        picker_.prefetch_members();
        break;
      case have_prefetch::session:
        if (slot_of(c) < sessions_.size()) __builtin_prefetch(&sessions_[slot_of(c)]);
        picker_.prefetch_have(p);
        break;
      case have_prefetch::bitfield_word:
        if (slot_of(c) < sessions_.size()) {
          const session& s = sessions_[slot_of(c)];
          if (s.id == c && p.value() < s.remote_has.size()) s.remote_has.prefetch(p.value());
        }
        break;
    }
  }
  std::size_t num_unchoked() const;
  // Whether we unchoke `c` optimistically (rather than for its rate or in turn).
  bool is_optimistic_unchoke(connection_id c) const;
  // Throws std::logic_error naming the first invariant that does not hold (1-3
  // and 5 above, session.hpp's 1, 2 and 4, the session table, and the picker's
  // and choker's own), with the offending values. O(pieces x sessions / 64 +
  // bits set + records x blocks): for tests and checked simulator builds.
  void check_invariants() const;

 private:
  // Inline: every message looks its session up.
  session* get(connection_id c) { return const_cast<session*>(std::as_const(*this).find(c)); }
  template <typename M>
  void receive(connection_id conn, const M& m, time_point now);
  template <typename M>
  void dispatch(session& s, const M& m, time_point now);
  void compact_sessions();
  // M is the message's own type: its size is known statically, and the message
  // is built once, in place, inside the action.
  template <typename M>
  void send(session& s, M m) {
    stats_.wire_sent += wire_size(m);
#if __cpp_aggregate_paren_init >= 201902L
    actions_.emplace_back(std::in_place_type<action::send>, s.id,
                          message{std::in_place_type<M>, std::move(m)});
#else  // compilers without parenthesised aggregate init (clang < 16): one move more
    actions_.emplace_back(action::send{s.id, message{std::in_place_type<M>, std::move(m)}});
#endif
  }
  enum class reconnect : bool { no, later };
  // Closes `s`; with a reason, tells the driver (action::disconnect).
  void close(session& s, time_point now, std::optional<disconnect_reason> tell_driver,
             reconnect again = reconnect::no);
  void handle_handshake(session& s, const msg::handshake& m, time_point now);
  void handle_bitfield(session& s, const msg::bitfield& m, time_point now);
  void handle_have(session& s, piece_index p, time_point now);
  void handle_choke(session& s, time_point now);
  void handle_unchoke(session& s, time_point now);
  void handle_interested(session& s, bool interested, time_point now);
  void handle_request(session& s, const msg::request& m, time_point now);
  void handle_piece(session& s, const msg::piece& m, time_point now);
  void handle_cancel(session& s, const msg::cancel& m);
  // BEP 6 and BEP 10 (peer_extensions.cpp)
  std::array<std::uint8_t, 8> reserved_bits() const;
  void note_extensions(session& s, const msg::handshake& h);
  void send_first_messages(session& s);
  void handle_fast(session& s, const msg::have_all& m, time_point now);
  void handle_fast(session& s, const msg::have_none& m, time_point now);
  void handle_fast(session& s, const msg::reject_request& m, time_point now);
  void handle_fast(session& s, const msg::suggest_piece& m, time_point now);
  void handle_fast(session& s, const msg::allowed_fast& m, time_point now);
  void handle_extended(session& s, const msg::extended& m, time_point now);
  // Refuses request `r` (a REJECT with the fast extension); false if it cannot.
  bool reject(session& s, const msg::request& r);
  void reject_queued(session& s);
  std::uint32_t request_depth(const session& s) const;
  std::uint32_t max_request_depth() const;
  void sample_download_rate(session& s, time_point now);
  void after_remote_content(session& s, time_point now);
  void update_interest(session& s);
  void fill_pipeline(session& s, time_point now);
  // What a streaming picker may know of the remote s (piece_picker::remote_view).
  piece_picker::remote_view remote_view_of(const session& s, time_point now) const;
  void refill_others(const session& except, time_point now);
  void on_piece_complete(piece_index p, time_point now);
  void count_piece_gained(piece_index p, std::vector<connection_id>* recipients = nullptr);
  // Whether an active connection whose remote has (or lacks) the piece we
  // completed hears of it (options_.send_have): the one home of that rule.
  bool hears_have(bool remote_has) const {
    return options_.send_have == have_to::all || !remote_has;
  }
  void punish(const std::vector<wire_peer_id>& culprits, time_point now);
  void withdraw(session& s, block_ref b);
  bool banned(const wire_peer_id& remote) const;
  void rechoke(time_point now);
  void reselect(time_point now);
  void collect_candidates(time_point now, bool snapshot);
  void apply_unchokes(const std::vector<connection_id>& unchoke, time_point now);
  void set_choke(session& s, bool choke, time_point now);
  void connect_more(time_point now);
  void announce(announce_event e, time_point now);
  void close_inactive(time_point now);
  void make_room(time_point now);
  const session* idle_victim(time_point now) const;
  // The neighbour strategy's gap to the next regular announce, checked (rule 7).
  duration announce_gap(duration tracker_interval) const;
  bool has_open_session(endpoint remote) const;
  void protocol_error(session& s, disconnect_reason why, time_point now);
  bool super_seeding() const {
    return options_.choker.super_seeding && picker_.is_seed();
  }
  void reveal_next_piece(session& s);
  void on_superseed_have(session& from, piece_index p);
  bool keep_over_duplicate(session& s, const wire_peer_id& remote, time_point now);
  // check_invariants() by concern
  void check_session_table() const;
  void check_session(const session& s) const;
  void check_requests() const;
  void check_availability() const;

  // Members used by every message come first (a few cache lines); the 2.5 KB
  // random generator, used on rechokes only, comes last.
  torrent_geometry geometry_;
  // Sessions stay in their slot of sessions_ while open, and after closing
  // (open == false) until the next compact_sessions() frees the slot for a later
  // connection. A connection id is (serial << 32) | slot: the slot (slot_of)
  // finds the session in one step, and the serial, one more for every
  // connection, keeps ids increasing in the order connections opened and never
  // reused (a stale id does not match the slot's session). order_ lists the
  // slots in the order their connections opened: every loop over the sessions
  // goes by it.
  std::vector<session> sessions_;
  std::vector<std::uint32_t> order_;
  std::vector<std::uint32_t> free_slots_;  // freed by compact_sessions(), reused first
  std::uint32_t next_serial_ = 0;
  std::size_t num_closed_ = 0;
  // The sessions in opening order, as a range of session& (a hand-written view:
  // clang-14 rejects libstdc++ 12's std::views, and the fuzz targets build with
  // it). The vector is read at each step, as order_ is walked.
  template <class Vec>
  class session_range {
   public:
    class iterator {
     public:
      using value_type = session;
      using difference_type = std::ptrdiff_t;
      using reference = decltype(std::declval<Vec&>()[0]);
      iterator() = default;
      iterator(Vec* v, const std::uint32_t* k) : v_(v), k_(k) {}
      reference operator*() const { return (*v_)[*k_]; }
      iterator& operator++() {
        ++k_;
        return *this;
      }
      iterator operator++(int) {
        iterator t = *this;
        ++k_;
        return t;
      }
      bool operator==(const iterator& o) const { return k_ == o.k_; }

     private:
      Vec* v_ = nullptr;
      const std::uint32_t* k_ = nullptr;
    };
    session_range(Vec& v, const std::vector<std::uint32_t>& order)
        : v_(&v), b_(order.data()), e_(order.data() + order.size()) {}
    iterator begin() const { return {v_, b_}; }
    iterator end() const { return {v_, e_}; }

   private:
    Vec* v_;
    const std::uint32_t* b_;
    const std::uint32_t* e_;
  };
  session_range<std::vector<session>> all_sessions() {
    return {sessions_, order_};
  }
  session_range<const std::vector<session>> all_sessions() const {
    return {sessions_, order_};
  }
  std::vector<peer_action> actions_;
  std::vector<block_ref> pick_scratch_;
  bool started_ = false;
  bool stopped_ = false;
  std::size_t num_open_ = 0;
  peer_stats stats_;
  time_point next_announce_ = never;
  time_point next_rechoke_ = never;  // choker_->next_deadline() after its last call
  time_point next_upkeep_ = never;   // close_inactive, connect_more, keep-alives
  peer_options options_;
  piece_picker picker_;
  std::unique_ptr<upload_strategy> choker_;  // options_.choker.policy
  bool orders_uploads_ = false;              // choker_->orders_blocks()
  sha1_hash info_hash_;
  wire_peer_id id_;
  endpoint self_;
  std::size_t num_outgoing_ = 0;
  std::size_t num_pending_connects_ = 0;
  // Addresses to connect to: from the tracker, and remotes whose connection
  // closed normally (tried again after reconnect_delay, last).
  std::vector<endpoint> candidates_;
  std::vector<endpoint> connected_to_;  // remotes with an open or pending connection
  // Open incoming connections by remote address (max_connections_per_address).
  std::unordered_map<std::uint32_t, std::uint32_t> incoming_per_address_;
  // When the last connection to each address closed or failed (reconnect_delay).
  std::unordered_map<std::uint64_t, time_point> last_closed_;
  std::vector<choke_candidate> choke_scratch_;
  std::vector<serve_candidate> serve_scratch_;
  mutable std::vector<drop_candidate> drop_scratch_;
  // piece_check::by_driver: the pieces awaiting their check, who sent which
  // block, the remotes' proven corruptions, and those banned for them.
  bitfield checking_;
  std::uint32_t num_checking_ = 0;
  piece_blame blame_;
  std::vector<std::pair<wire_peer_id, std::uint32_t>> strikes_;
  std::vector<wire_peer_id> banned_;
  std::vector<endpoint> banned_addresses_;  // of banned remotes we had dialled
  // Super-seeding: how many remotes each piece was revealed to (empty until used).
  std::vector<std::uint32_t> revealed_;
  // The remote's peer id of each active session, at the session's slot (a cold
  // side table: only handshakes read it; invariant 7).
  std::vector<wire_peer_id> remote_ids_;
  time_point last_announce_{};
  duration min_announce_gap_ = std::chrono::seconds(60);  // the tracker's min interval
  std::unique_ptr<neighbour_strategy> neighbours_;        // options_.neighbours
  neighbour_limits limits_;                               // neighbours_->limits(), checked
  std::unique_ptr<class playback> playback_;              // options_.playback, from start()
  rng random_;
};

}  // namespace swarmsim::protocol
