// `confine k8s webhook`: a validating admission webhook (AdmissionReview admission.k8s.io/v1) over
// TLS that runs the scan engine (src/k8s/scan.h, the same rules as `confine k8s scan`) on the
// object of every review, above all the checks CEL cannot do: a Localhost seccomp/AppArmor profile
// must be in the bundle the nodes hold, with its content hash (docs/kubernetes.md "Admission webhook").
//
// Three layers, each testable alone:
//   HttpParser     an incremental HTTP/1.1 request parser with hard limits (header bytes and count,
//                  body bytes for Content-Length and chunked bodies); never reads past a limit;
//   review()       the AdmissionReview decoder and decision (pure: body in, response out);
//   serve()        the TLS server (OpenSSL): bounded connections, per-request deadlines, health,
//                  readiness and Prometheus metrics, SIGHUP reload, SIGTERM drain.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "json/json.h"
#include "k8s/rules.h"

namespace confine::k8s::webhook {

// ---- HTTP/1.1 request parsing ------------------------------------------------------------------

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;  // request line + headers (and, separately, chunked trailers)
  size_t max_headers = 64;
  size_t max_body = 4u << 20;  // 4 MiB: Content-Length or the sum of the chunks
};

struct HttpRequest {
  std::string method, target, version;                       // "POST", "/validate?timeout=10s", "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed
  std::string body;
  bool keep_alive = true;
  const std::string* header(std::string_view lower_name) const;  // the last one of that name
  std::string path() const;                                      // target without ?query
};

class HttpParser {
 public:
  enum class State { Incomplete, Done, Error };
  explicit HttpParser(HttpLimits l = {}) : lim_(l) {}
  // Appends bytes and parses as far as they go. Once Done or Error, further bytes are kept
  // (leftover(): the next pipelined request) but not parsed.
  State feed(std::string_view data);
  State state() const { return state_; }
  bool head_done() const { return phase_ != Phase::Head; }  // the body (if any) is being read
  bool started() const { return started_; }                 // any byte of this request seen
  int error_status() const { return err_status_; }          // 400, 413, 431, 501, 505
  const std::string& error() const { return err_; }
  HttpRequest& request() { return req_; }
  std::string leftover() const { return buf_.substr(pos_); }

 private:
  State fail(int status, std::string msg);
  State parse_head(size_t end);
  enum class Phase { Head, Body, ChunkSize, ChunkData, ChunkEnd, Trailer, Done };
  HttpLimits lim_;
  State state_ = State::Incomplete;
  Phase phase_ = Phase::Head;
  std::string buf_;
  size_t pos_ = 0;      // parsed up to here
  size_t scanned_ = 0;  // head: searched for the blank line up to here
  size_t need_ = 0;     // body bytes or chunk bytes still to come
  size_t trailer_ = 0;  // trailer bytes seen
  bool started_ = false;
  int err_status_ = 0;
  std::string err_;
  HttpRequest req_;
};

std::string_view status_text(int status);

// ---- AdmissionReview ---------------------------------------------------------------------------

struct ReviewConfig {
  rules::Level level = rules::Level::Restricted;
  rules::Version version;
  const rules::Bundle* bundle = nullptr;  // the bundle the nodes hold (null: bundle checks off)
  bool bundle_required = false;           // --bundle was given but is not loaded: deny (fail closed)
  std::string bundle_problem;             // why it is not loaded
  json::ParseLimits limits{4u << 20, 64, 200000};
};

struct Decision {
  int http_status = 200;     // 400: not an AdmissionReview at all (malformed JSON, not an object)
  std::string result;        // "allowed", "denied", "invalid" (a review we cannot judge: denied), "malformed"
  std::string content_type;  // application/json, or text/plain for 400
  std::string body;          // the AdmissionReview response (or the 400 message)
  std::string uid;           // request.uid ("" when absent)
  bool allowed = false;
  std::string message;  // status.message: the findings (check id + field path), or why
  std::vector<std::string> warnings;
  std::string object;  // "Pod/web.shop" when an object was judged
};

// Decodes one AdmissionReview body and judges its object with the scan engine. Never throws; any
// input gives a decision (a 400 for a body that is not a JSON object).
Decision review(std::string_view body, const ReviewConfig& c);

// Limits of what goes back to the API server (it truncates warnings longer than 256 characters and
// keeps at most 4096 characters of them in total).
inline constexpr size_t kMaxWarnings = 16;
inline constexpr size_t kMaxWarningChars = 250;
inline constexpr size_t kMaxMessageChars = 3000;

// ---- the server --------------------------------------------------------------------------------

struct ServerOptions {
  std::string listen = ":8443";  // HOST:PORT, [V6]:PORT or :PORT (every address); port 0 = any free
  std::string cert, key;         // PEM files (the chain, then the key)
  std::string bundle_dir;        // "" = no bundle checks
  rules::Level level = rules::Level::Restricted;
  rules::Version version;
  HttpLimits http;
  unsigned max_connections = 64;
  unsigned read_timeout_ms = 10000;  // per request (TLS handshake, headers and body) and per idle wait
  unsigned reload_interval_s = 60;   // re-read the bundle and certificate (0: only on SIGHUP)
  unsigned max_concurrent_reviews = 4;
};

// Runs until SIGTERM or SIGINT (then drains: no new connections, answers in flight finish, at most
// read_timeout_ms). Prints "listening on https://ADDR:PORT" to stderr once bound. Errors setting up
// (certificate, key, listen address) are returned; a bundle that cannot be loaded is not fatal (the
// server is not ready and denies workloads until a reload loads it).
Status serve(const ServerOptions& o);

// ---- the manifest ------------------------------------------------------------------------------

struct ManifestOptions {
  std::string ns = "confine-system";
  std::string service = "confine-webhook";
  std::string image = "confine-agent:0.1.0";
  std::string ca_bundle_pem;  // the CA that signed the serving certificate (caBundle)
  std::string tls_secret;     // default SERVICE-tls (kubernetes.io/tls: tls.crt, tls.key)
  std::string failure_policy = "Fail";
  unsigned timeout_seconds = 10;
  unsigned replicas = 2;
  unsigned bundle_parts = 1;  // 0: no bundle mounted (no --bundle)
  rules::Level level = rules::Level::Restricted;
  rules::Version version;
  bool version_given = false;
};
// The ValidatingWebhookConfiguration, ServiceAccount, Service and Deployment.
Result<std::vector<json::Value>> manifest(const ManifestOptions& o);

}  // namespace confine::k8s::webhook
