// `confine k8s webhook`: the TLS server (OpenSSL from Debian's libssl-dev). One thread per
// connection, at most max_connections of them (more are closed at once and counted); every read
// has a deadline (read_timeout_ms for the TLS handshake plus the whole request, and for an idle
// keep-alive wait), so a slow client holds one slot for a bounded time and never blocks the others.
// Reviews are judged at most max_concurrent_reviews at a time (each parse is bounded by the JSON
// limits, so memory is too). SIGHUP reloads the bundle and the certificate; SIGTERM/SIGINT drain.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/file.h"
#include "k8s/webhook.h"

namespace confine::k8s::webhook {

namespace {
using Clock = std::chrono::steady_clock;

constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,   0.1,   0.25,   0.5,   1,    2.5};

struct Metrics {
  std::atomic<uint64_t> allowed{0}, denied{0}, invalid{0}, malformed{0};
  // Requests refused before a review could be judged (plus malformed JSON above), by reason.
  std::atomic<uint64_t> rej_http{0}, rej_too_large{0}, rej_head_too_large{0}, rej_content_type{0},
      rej_timeout{0}, not_found{0}, bad_method{0};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> hist{};
  std::atomic<uint64_t> sum_ns{0}, count{0};
  std::atomic<uint64_t> conn_accepted{0}, conn_over_capacity{0}, conn_plaintext{0}, conn_tls_failed{0};
  std::atomic<uint64_t> reload_ok{0}, reload_failed{0};
};

void log(const std::string& s) {
  std::string line = "confine: k8s webhook: " + file::escape_terminal(s) + "\n";
  (void)!write(2, line.data(), line.size());
}

std::string ssl_error() {
  std::string r;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!r.empty()) r += "; ";
    r += buf;
  }
  return r.empty() ? "unknown TLS error" : r;
}

using CtxPtr = std::shared_ptr<SSL_CTX>;
Result<CtxPtr> make_ctx(const std::string& cert, const std::string& key) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return Error("SSL_CTX_new: " + ssl_error());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1)
    return Error("--tls-cert " + cert + ": " + ssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1)
    return Error("--tls-key " + key + " (for --tls-cert " + cert + "): " + ssl_error());
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return Error("--tls-key " + key + " does not match --tls-cert " + cert + ": " + ssl_error());
  return ctx;
}

struct Shared {
  ServerOptions o;
  Metrics m;
  std::mutex mu;  // guards bundle, problem, ctx
  std::shared_ptr<const rules::Bundle> bundle;
  std::string problem = "not loaded yet";
  CtxPtr ctx;
  std::atomic<bool> draining{false};
  std::mutex cmu;
  std::condition_variable ccv;
  unsigned active = 0;
  std::mutex rmu;
  std::condition_variable rcv;
  unsigned reviewing = 0;
};

void load_bundle_into(Shared& s, bool verbose) {
  if (s.o.bundle_dir.empty()) return;
  auto b = rules::load_bundle(s.o.bundle_dir);
  std::lock_guard l(s.mu);
  if (!b.ok()) {
    s.m.reload_failed++;
    std::string why = b.error().message();
    if (s.bundle)
      log("bundle reload failed, keeping bundle " + s.bundle->hash + ": " + why);
    else {
      log("bundle not loaded (not ready; workloads are denied until it loads): " + why);
      s.problem = why;
    }
    return;
  }
  s.m.reload_ok++;
  bool changed = !s.bundle || s.bundle->hash != b->hash;
  size_t n = b->by_seccomp.size();
  s.bundle = std::make_shared<const rules::Bundle>(std::move(*b));
  s.problem.clear();
  if (changed || verbose)
    log("bundle " + s.bundle->hash + " loaded from " + s.o.bundle_dir + " (" + std::to_string(n) +
        " seccomp profile(s))");
}

void reload_cert(Shared& s) {
  auto c = make_ctx(s.o.cert, s.o.key);
  if (!c.ok()) {
    log("certificate reload failed, keeping the previous one: " + c.error().message());
    return;
  }
  std::lock_guard l(s.mu);
  s.ctx = std::move(*c);
}

// ---- one connection ------------------------------------------------------------------------------

class Conn {
 public:
  Conn(Shared& s, int fd) : s_(s), fd_(fd) {}
  ~Conn() {
    if (ssl_) {
      if (handshaken_) {
        set_timeout(SO_SNDTIMEO, 200);
        SSL_shutdown(ssl_);
      }
      SSL_free(ssl_);
    }
    if (linger_) {
      // An error answered before the request was read (413, 400, 408): closing with unread bytes
      // would reset the connection and the client could lose the answer. Stop sending, then read
      // and drop what the client still sends, for at most 500 ms or 1 MiB.
      shutdown(fd_, SHUT_WR);
      auto until = Clock::now() + std::chrono::milliseconds(500);
      size_t dropped = 0;
      char buf[16384];
      while (dropped < (1u << 20)) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        pollfd p{fd_, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) break;
        ssize_t n = recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) break;
        dropped += static_cast<size_t>(n);
      }
    }
    close(fd_);
  }
  void run();

 private:
  enum class Wait { Ready, Timeout, Closed, Drain };
  Wait wait_readable(Clock::time_point deadline, bool idle);
  void set_timeout(int opt, long ms) {
    if (ms < 1) ms = 1;
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, opt, &tv, sizeof tv);
  }
  bool send_all(const std::string& bytes);
  bool respond(int status, const std::string& ctype, const std::string& body, bool keep_alive,
               const std::string& extra = "", bool head = false);
  void handle(HttpRequest& r, bool keep_alive);

  Shared& s_;
  int fd_;
  SSL* ssl_ = nullptr;
  bool handshaken_ = false;
  bool linger_ = false;  // drain the client's unread bytes before closing
};

Conn::Wait Conn::wait_readable(Clock::time_point deadline, bool idle) {
  for (;;) {
    if (idle && s_.draining) return Wait::Drain;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Wait::Timeout;
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(std::min<long>(left, 200)));
    if (r < 0 && errno != EINTR) return Wait::Closed;
    if (r > 0) return (p.revents & (POLLIN | POLLHUP | POLLERR)) ? Wait::Ready : Wait::Closed;
  }
}

bool Conn::send_all(const std::string& bytes) {
  set_timeout(SO_SNDTIMEO, s_.o.read_timeout_ms);
  if (bytes.empty()) return true;
  if (ssl_)
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool Conn::respond(int status, const std::string& ctype, const std::string& body, bool keep_alive,
                   const std::string& extra, bool head) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(status_text(status)) + "\r\n";
  r += "Content-Type: " + ctype + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  r += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  r += extra;
  r += "\r\n";
  if (!head) r += body;
  return send_all(r);
}

std::string metrics_text(Shared& s) {
  const Metrics& m = s.m;
  std::string t;
  auto line = [&](const std::string& name, uint64_t v) { t += name + " " + std::to_string(v) + "\n"; };
  t += "# HELP confine_webhook_requests_total AdmissionReview requests answered on /validate, by result.\n"
       "# TYPE confine_webhook_requests_total counter\n";
  line("confine_webhook_requests_total{result=\"allowed\"}", m.allowed);
  line("confine_webhook_requests_total{result=\"denied\"}", m.denied);
  line("confine_webhook_requests_total{result=\"invalid\"}", m.invalid);
  line("confine_webhook_requests_total{result=\"malformed\"}", m.malformed);
  t +=
      "# HELP confine_webhook_rejected_malformed_total Requests refused as malformed or hostile, by reason.\n"
      "# TYPE confine_webhook_rejected_malformed_total counter\n";
  line("confine_webhook_rejected_malformed_total{reason=\"json\"}", m.malformed);
  line("confine_webhook_rejected_malformed_total{reason=\"http\"}", m.rej_http);
  line("confine_webhook_rejected_malformed_total{reason=\"body_too_large\"}", m.rej_too_large);
  line("confine_webhook_rejected_malformed_total{reason=\"head_too_large\"}", m.rej_head_too_large);
  line("confine_webhook_rejected_malformed_total{reason=\"content_type\"}", m.rej_content_type);
  line("confine_webhook_rejected_malformed_total{reason=\"timeout\"}", m.rej_timeout);
  t += "# HELP confine_webhook_http_errors_total Requests for an unknown path or with a wrong method.\n"
       "# TYPE confine_webhook_http_errors_total counter\n";
  line("confine_webhook_http_errors_total{code=\"404\"}", m.not_found);
  line("confine_webhook_http_errors_total{code=\"405\"}", m.bad_method);
  t += "# HELP confine_webhook_review_duration_seconds Time to decode and judge one AdmissionReview.\n"
       "# TYPE confine_webhook_review_duration_seconds histogram\n";
  uint64_t cum = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cum += m.hist[i];
    char le[32];
    snprintf(le, sizeof le, "%g", kBuckets[i]);
    line("confine_webhook_review_duration_seconds_bucket{le=\"" + std::string(le) + "\"}", cum);
  }
  cum += m.hist[kBuckets.size()];
  line("confine_webhook_review_duration_seconds_bucket{le=\"+Inf\"}", cum);
  char sum[64];
  snprintf(sum, sizeof sum, "%.9f", static_cast<double>(m.sum_ns.load()) / 1e9);
  t += "confine_webhook_review_duration_seconds_sum " + std::string(sum) + "\n";
  line("confine_webhook_review_duration_seconds_count", m.count);
  t += "# HELP confine_webhook_connections_total TCP connections, by what became of them.\n"
       "# TYPE confine_webhook_connections_total counter\n";
  line("confine_webhook_connections_total{state=\"accepted\"}", m.conn_accepted);
  line("confine_webhook_connections_total{state=\"over_capacity\"}", m.conn_over_capacity);
  line("confine_webhook_connections_total{state=\"plaintext\"}", m.conn_plaintext);
  line("confine_webhook_connections_total{state=\"tls_failed\"}", m.conn_tls_failed);
  t += "# HELP confine_webhook_bundle_reloads_total Bundle loads, by result.\n"
       "# TYPE confine_webhook_bundle_reloads_total counter\n";
  line("confine_webhook_bundle_reloads_total{result=\"ok\"}", m.reload_ok);
  line("confine_webhook_bundle_reloads_total{result=\"failed\"}", m.reload_failed);
  {
    std::lock_guard l(s.mu);
    t += "# HELP confine_webhook_bundle_loaded 1 when the bundle (hash label) is loaded.\n"
         "# TYPE confine_webhook_bundle_loaded gauge\n";
    line("confine_webhook_bundle_loaded{bundle=\"" + (s.bundle ? s.bundle->hash : std::string()) + "\"}",
         s.bundle || s.o.bundle_dir.empty() ? 1 : 0);
  }
  {
    std::lock_guard l(s.cmu);
    t += "# HELP confine_webhook_connections_open Connections being served.\n"
         "# TYPE confine_webhook_connections_open gauge\n";
    line("confine_webhook_connections_open", s.active);
  }
  return t;
}

void Conn::handle(HttpRequest& r, bool keep_alive) {
  const std::string path = r.path();
  const bool get = r.method == "GET" || r.method == "HEAD", head = r.method == "HEAD";
  const std::string text = "text/plain; charset=utf-8";
  if (path == "/healthz" || path == "/livez" || path == "/readyz" || path == "/metrics") {
    if (!get) {
      s_.m.bad_method++;
      respond(405, text, "method " + r.method + " not allowed on " + path + " (GET)\n", keep_alive,
              "Allow: GET, HEAD\r\n");
      return;
    }
    if (path == "/metrics") {
      respond(200, "text/plain; version=0.0.4; charset=utf-8", metrics_text(s_), keep_alive, "", head);
    } else if (path == "/readyz") {
      std::string why;
      bool ready;
      {
        std::lock_guard l(s_.mu);
        ready = (s_.o.bundle_dir.empty() || s_.bundle) && !s_.draining;
        why = s_.draining ? "not ready: draining (SIGTERM)"
              : !ready    ? "not ready: bundle not loaded: " + s_.problem
              : s_.bundle ? "ready: bundle " + s_.bundle->hash
                          : "ready (no --bundle: Localhost profiles are not checked)";
      }
      respond(ready ? 200 : 503, text, why + "\n", keep_alive, "", head);
    } else {
      respond(200, text, "ok\n", keep_alive, "", head);
    }
    return;
  }
  if (path != "/validate") {
    s_.m.not_found++;
    respond(404, text, "no such path (POST /validate; GET /healthz, /readyz, /metrics)\n", keep_alive);
    return;
  }
  if (r.method != "POST") {
    s_.m.bad_method++;
    respond(405, text, "method " + r.method + " not allowed on /validate (POST an AdmissionReview)\n",
            keep_alive, "Allow: POST\r\n");
    return;
  }
  const std::string* ct = r.header("content-type");
  std::string ctl;
  if (ct)
    for (char c : ct->substr(0, ct->find(';')))
      if (c != ' ' && c != '\t') ctl += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ctl != "application/json") {
    s_.m.rej_content_type++;
    respond(415, text,
            "Content-Type " + (ct ? "\"" + ct->substr(0, 80) + "\"" : std::string("(none)")) +
                " not supported: POST an AdmissionReview as application/json\n",
            keep_alive);
    return;
  }
  {
    std::unique_lock l(s_.rmu);
    s_.rcv.wait(l, [&] { return s_.reviewing < s_.o.max_concurrent_reviews; });
    ++s_.reviewing;
  }
  auto t0 = Clock::now();
  ReviewConfig rc;
  rc.level = s_.o.level;
  rc.version = s_.o.version;
  rc.limits.max_bytes = s_.o.http.max_body;
  std::shared_ptr<const rules::Bundle> b;
  {
    std::lock_guard l(s_.mu);
    b = s_.bundle;
    rc.bundle_problem = s_.problem;
  }
  rc.bundle = b.get();
  rc.bundle_required = !s_.o.bundle_dir.empty();
  Decision d = review(r.body, rc);
  r.body.clear();
  r.body.shrink_to_fit();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
  {
    std::lock_guard l(s_.rmu);
    --s_.reviewing;
  }
  s_.rcv.notify_one();
  double sec = static_cast<double>(ns) / 1e9;
  size_t bi = 0;
  while (bi < kBuckets.size() && sec > kBuckets[bi]) ++bi;
  s_.m.hist[bi]++;
  s_.m.sum_ns += static_cast<uint64_t>(ns);
  s_.m.count++;
  if (d.result == "allowed")
    s_.m.allowed++;
  else if (d.result == "denied")
    s_.m.denied++;
  else if (d.result == "invalid")
    s_.m.invalid++;
  else
    s_.m.malformed++;
  if (d.result != "allowed")
    log(d.result + " uid=" + (d.uid.empty() ? "-" : d.uid) + ": " + d.message.substr(0, 300));
  respond(d.http_status, d.content_type, d.body, keep_alive);
}

void Conn::run() {
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto deadline = Clock::now() + std::chrono::milliseconds(s_.o.read_timeout_ms);
  if (wait_readable(deadline, false) != Wait::Ready) return;
  // A TLS connection starts with a handshake record (0x16). Plain HTTP gets a plain answer.
  unsigned char first = 0;
  ssize_t n = recv(fd_, &first, 1, MSG_PEEK);
  if (n <= 0) return;
  if (first != 0x16) {
    s_.m.conn_plaintext++;
    linger_ = true;
    if (first >= 'A' && first <= 'Z')
      respond(400, "text/plain; charset=utf-8",
              "this port speaks HTTPS (TLS): an HTTP request was sent to it\n", false);
    return;
  }
  CtxPtr ctx;
  {
    std::lock_guard l(s_.mu);
    ctx = s_.ctx;
  }
  ssl_ = SSL_new(ctx.get());
  if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return;
  set_timeout(SO_RCVTIMEO,
              std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
  set_timeout(SO_SNDTIMEO, s_.o.read_timeout_ms);
  if (SSL_accept(ssl_) != 1) {
    s_.m.conn_tls_failed++;
    ERR_clear_error();
    return;
  }
  handshaken_ = true;
  std::string carry;
  bool first_request = true;
  for (;;) {
    HttpParser p(s_.o.http);
    if (!first_request) deadline = Clock::now() + std::chrono::milliseconds(s_.o.read_timeout_ms);
    first_request = false;
    bool sent_continue = false;
    if (!carry.empty()) p.feed(carry);
    carry.clear();
    while (p.state() == HttpParser::State::Incomplete) {
      if (SSL_has_pending(ssl_) == 0) {
        Wait w = wait_readable(deadline, !p.started());
        if (w == Wait::Timeout && p.started()) {
          s_.m.rej_timeout++;
          linger_ = true;
          respond(408, "text/plain; charset=utf-8",
                  "request not complete within " + std::to_string(s_.o.read_timeout_ms) + " ms\n", false);
          return;
        }
        if (w != Wait::Ready) return;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      set_timeout(SO_RCVTIMEO, left);
      char buf[16384];
      int k = SSL_read(ssl_, buf, sizeof buf);
      if (k <= 0) {
        if (p.started() && Clock::now() >= deadline) s_.m.rej_timeout++;
        ERR_clear_error();
        return;
      }
      p.feed(std::string_view(buf, static_cast<size_t>(k)));
      // A client waiting for "100 Continue" (curl does for large bodies) is told to send the body
      // once the head is accepted; a refused head (413) was answered above instead.
      if (!sent_continue && p.state() == HttpParser::State::Incomplete && p.head_done()) {
        const std::string* e = p.request().header("expect");
        if (e && (*e == "100-continue" || *e == "100-Continue")) {
          sent_continue = true;
          if (!send_all("HTTP/1.1 100 Continue\r\n\r\n")) return;
        }
      }
    }
    if (p.state() == HttpParser::State::Error) {
      int st = p.error_status();
      linger_ = true;
      (st == 413 ? s_.m.rej_too_large : st == 431 ? s_.m.rej_head_too_large : s_.m.rej_http)++;
      respond(st, "text/plain; charset=utf-8", "bad request: " + p.error() + "\n", false);
      return;
    }
    HttpRequest& r = p.request();
    bool keep = r.keep_alive && !s_.draining;
    handle(r, keep);
    if (!keep) return;
    carry = p.leftover();
  }
}

// ---- listening -----------------------------------------------------------------------------------

struct Addr {
  sockaddr_storage ss{};
  socklen_t len = 0;
};

Result<Addr> parse_listen(const std::string& s, bool* any) {
  std::string host, port;
  if (!s.empty() && s[0] == '[') {
    size_t e = s.find("]:");
    if (e == std::string::npos) return Error("--listen " + s + ": expected [IPV6]:PORT");
    host = s.substr(1, e - 1);
    port = s.substr(e + 2);
  } else {
    size_t c = s.rfind(':');
    if (c == std::string::npos) return Error("--listen " + s + ": expected HOST:PORT, [IPV6]:PORT or :PORT");
    host = s.substr(0, c);
    port = s.substr(c + 1);
  }
  char* end = nullptr;
  unsigned long p = std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end || p > 65535) return Error("--listen " + s + ": bad port \"" + port + "\"");
  Addr a;
  *any = host.empty();
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty() || host.find(':') != std::string::npos) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(p));
    in6->sin6_addr = in6addr_any;
    if (!host.empty() && inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) != 1)
      return Error("--listen " + s + ": \"" + host + "\" is not an IPv6 address");
    a.len = sizeof(sockaddr_in6);
    return a;
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  in4->sin_family = AF_INET;
  in4->sin_port = htons(static_cast<uint16_t>(p));
  if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) != 1)
    return Error("--listen " + s + ": \"" + host + "\" is not an IP address (names are not resolved)");
  a.len = sizeof(sockaddr_in);
  return a;
}

std::string addr_str(const sockaddr_storage& ss) {
  char b[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, b, sizeof b);
    return "[" + std::string(b) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &in4->sin_addr, b, sizeof b);
  return std::string(b) + ":" + std::to_string(ntohs(in4->sin_port));
}

Result<int> listen_on(const std::string& spec) {
  bool any = false;
  CONFINE_TRY(Addr a, parse_listen(spec, &any));
  int fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 && any) {  // no IPv6: every IPv4 address
    a = Addr{};
    auto* in4 = reinterpret_cast<sockaddr_in*>(&a.ss);
    in4->sin_family = AF_INET;
    in4->sin_port = reinterpret_cast<sockaddr_in6*>(&a.ss)->sin6_port;
    a.len = sizeof(sockaddr_in);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) return Error::sys("socket", errno);
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (a.ss.ss_family == AF_INET6 && any) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0) {
    int e = errno;
    close(fd);
    return Error::sys("bind(" + spec + ")", e);
  }
  if (listen(fd, 128) != 0) {
    int e = errno;
    close(fd);
    return Error::sys("listen(" + spec + ")", e);
  }
  return fd;
}
}  // namespace

Status serve(const ServerOptions& opts) {
  // Never freed: connection threads still draining at exit may hold it.
  auto* s = new Shared;
  s->o = opts;
  if (s->o.max_connections == 0) s->o.max_connections = 1;
  if (s->o.max_concurrent_reviews == 0) s->o.max_concurrent_reviews = 1;
  CONFINE_TRY(s->ctx, make_ctx(opts.cert, opts.key));
  // Signals: taken by signalfd in the accept loop; every thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return Error::sys("pthread_sigmask", errno);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC);
  if (sfd < 0) return Error::sys("signalfd", errno);
  CONFINE_TRY(int lfd, listen_on(opts.listen));
  load_bundle_into(*s, true);
  if (opts.bundle_dir.empty())
    log("no --bundle: Pod Security Standards and version checks only; Localhost profiles are not checked "
        "against a bundle");
  sockaddr_storage ss{};
  socklen_t sl = sizeof ss;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&ss), &sl);
  log("listening on https://" + addr_str(ss) + "/validate (" + std::string(rules::level_name(opts.level)) +
      ", " + opts.version.str() + ")");
  auto next_reload = Clock::now() + std::chrono::seconds(opts.reload_interval_s);
  for (;;) {
    int timeout = -1;
    if (opts.reload_interval_s > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_reload - Clock::now()).count();
      timeout = static_cast<int>(std::max<long>(0, left));
    }
    pollfd p[2] = {{lfd, POLLIN, 0}, {sfd, POLLIN, 0}};
    int r = poll(p, 2, timeout);
    if (r < 0 && errno != EINTR) return Error::sys("poll", errno);
    if (opts.reload_interval_s > 0 && Clock::now() >= next_reload) {
      load_bundle_into(*s, false);
      next_reload = Clock::now() + std::chrono::seconds(opts.reload_interval_s);
    }
    if (r <= 0) continue;
    if (p[1].revents & POLLIN) {
      signalfd_siginfo si{};
      if (read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        if (si.ssi_signo == SIGHUP) {
          log("SIGHUP: reloading the bundle and the certificate");
          load_bundle_into(*s, true);
          reload_cert(*s);
        } else {
          log(std::string(si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT") +
              ": draining (no new connections; answering what is in flight)");
          s->draining = true;
          close(lfd);
          std::unique_lock l(s->cmu);
          bool done = s->ccv.wait_for(l, std::chrono::milliseconds(opts.read_timeout_ms + 1000),
                                      [&] { return s->active == 0; });
          log(done ? "drained, exiting"
                   : std::to_string(s->active) + " connection(s) still open at the drain deadline, exiting");
          close(sfd);
          return ok();
        }
      }
    }
    if (p[0].revents & POLLIN) {
      int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) usleep(10000);  // out of descriptors: try again shortly
        continue;
      }
      {
        std::lock_guard l(s->cmu);
        if (s->active >= s->o.max_connections) {
          s->m.conn_over_capacity++;
          close(fd);
          continue;
        }
        ++s->active;
      }
      s->m.conn_accepted++;
      try {
        std::thread([s, fd] {
          {
            Conn c(*s, fd);
            c.run();
          }
          std::lock_guard l(s->cmu);
          --s->active;
          s->ccv.notify_all();
        }).detach();
      } catch (const std::exception& e) {
        close(fd);
        std::lock_guard l(s->cmu);
        --s->active;
        log(std::string("cannot start a connection thread: ") + e.what());
      }
    }
  }
}

}  // namespace confine::k8s::webhook
