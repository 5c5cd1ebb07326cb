// `confine k8s webhook`: the HTTP request parser, the AdmissionReview decoder and the manifest
// (the TLS server is in webhook_server.cc). See webhook.h.
#include "k8s/webhook.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "k8s/scan.h"

namespace confine::k8s::webhook {

using json::Type;
using json::Value;

// ---- HTTP ----------------------------------------------------------------------------------------

namespace {
bool tchar(unsigned char c) { return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr; }
std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
// Printable text for an error message: at most 60 bytes, controls and non-ASCII as '?'.
std::string shown(std::string_view s) {
  std::string r;
  for (unsigned char c : s.substr(0, 60)) r += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  if (s.size() > 60) r += "...";
  return r;
}
}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
  const std::string* r = nullptr;
  for (const auto& [k, v] : headers)
    if (k == name) r = &v;
  return r;
}

std::string HttpRequest::path() const { return target.substr(0, target.find('?')); }

HttpParser::State HttpParser::fail(int status, std::string msg) {
  state_ = State::Error;
  err_status_ = status;
  err_ = std::move(msg);
  return state_;
}

HttpParser::State HttpParser::parse_head(size_t end) {
  // buf_[pos_, end) holds the request line and the header lines, each ending in CRLF.
  std::string_view head(buf_.data() + pos_, end - pos_);
  size_t i = 0;
  bool first = true;
  std::string te, cl;
  bool have_cl = false, have_te = false;
  while (i < head.size()) {
    size_t e = head.find("\r\n", i);
    if (e == std::string_view::npos) e = head.size();
    std::string_view line = head.substr(i, e - i);
    i = e + 2;
    if (line.find('\0') != std::string_view::npos || line.find('\r') != std::string_view::npos ||
        line.find('\n') != std::string_view::npos)
      return fail(400, "a bare CR, LF or NUL in the request head");
    if (first) {
      first = false;
      size_t s1 = line.find(' ');
      size_t s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
      if (s2 == std::string_view::npos || line.find(' ', s2 + 1) != std::string_view::npos)
        return fail(400, "malformed request line \"" + shown(line) + "\" (expected METHOD TARGET HTTP/1.1)");
      std::string_view m = line.substr(0, s1), t = line.substr(s1 + 1, s2 - s1 - 1), v = line.substr(s2 + 1);
      if (m.empty() || !std::all_of(m.begin(), m.end(), [](char c) { return tchar(c); }))
        return fail(400, "malformed method \"" + shown(m) + "\"");
      if (t.empty() || t[0] != '/' ||
          !std::all_of(t.begin(), t.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
        return fail(400, "malformed request target \"" + shown(t) + "\" (expected an absolute path)");
      if (v != "HTTP/1.1" && v != "HTTP/1.0")
        return fail(505, "HTTP version \"" + shown(v) + "\" not supported");
      req_.method = m;
      req_.target = t;
      req_.version = v;
      req_.keep_alive = v == "HTTP/1.1";
      continue;
    }
    if (line.empty()) continue;  // (the blank line ending the head is not in `head`)
    if (line[0] == ' ' || line[0] == '\t') return fail(400, "obsolete header line folding");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return fail(400, "malformed header line \"" + shown(line) + "\"");
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](char c) { return tchar(c); }))
      return fail(400, "malformed header name \"" + shown(name) + "\"");
    if (req_.headers.size() >= lim_.max_headers)
      return fail(431, "more than " + std::to_string(lim_.max_headers) + " header fields");
    std::string k = lower(name);
    std::string_view val = trim(line.substr(colon + 1));
    if (k == "content-length") {
      if (have_cl && cl != val) return fail(400, "conflicting Content-Length headers");
      have_cl = true;
      cl = val;
    } else if (k == "transfer-encoding") {
      if (have_te) return fail(400, "several Transfer-Encoding headers");
      have_te = true;
      te = lower(val);
    } else if (k == "connection") {
      std::string c = lower(val);
      if (c.find("close") != std::string::npos) req_.keep_alive = false;
      if (c.find("keep-alive") != std::string::npos && req_.version == "HTTP/1.0") req_.keep_alive = true;
    }
    req_.headers.emplace_back(std::move(k), std::string(val));
  }
  if (req_.method.empty()) return fail(400, "empty request");
  pos_ = end + 4;
  // Request smuggling: a body length given twice is refused, not guessed (RFC 9112 6.3).
  if (have_cl && have_te) return fail(400, "both Content-Length and Transfer-Encoding");
  if (have_te) {
    if (te != "chunked")
      return fail(501, "Transfer-Encoding \"" + shown(te) + "\" not supported (only chunked)");
    if (req_.version != "HTTP/1.1") return fail(400, "chunked body in an HTTP/1.0 request");
    phase_ = Phase::ChunkSize;
    return State::Incomplete;
  }
  if (have_cl) {
    if (cl.empty() || cl.size() > 18 ||
        !std::all_of(cl.begin(), cl.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail(400, "malformed Content-Length \"" + shown(cl) + "\"");
    size_t n = std::stoull(cl);
    if (n > lim_.max_body)
      return fail(413, "body of " + std::to_string(n) + " bytes exceeds the limit of " +
                           std::to_string(lim_.max_body));
    need_ = n;
    phase_ = Phase::Body;
    return State::Incomplete;
  }
  phase_ = Phase::Done;  // no body
  return State::Incomplete;
}

HttpParser::State HttpParser::feed(std::string_view data) {
  if (!data.empty()) started_ = true;
  buf_.append(data);
  if (state_ != State::Incomplete) return state_;
  for (;;) {
    switch (phase_) {
      case Phase::Head: {
        // Empty lines before the request line are ignored (RFC 9112 2.2), a bounded number of them.
        while (buf_.size() - pos_ >= 2 && buf_[pos_] == '\r' && buf_[pos_ + 1] == '\n') pos_ += 2;
        if (pos_ > lim_.max_header_bytes) return fail(431, "too many empty lines before the request line");
        if (buf_.size() - pos_ == 1 && buf_[pos_] == '\r') return State::Incomplete;  // maybe one more
        scanned_ = std::max(scanned_, pos_);
        size_t from = scanned_ >= pos_ + 3 ? scanned_ - 3 : pos_;
        size_t end = buf_.find("\r\n\r\n", from);
        if (end == std::string::npos) {
          scanned_ = buf_.size();
          if (buf_.size() - pos_ > lim_.max_header_bytes)
            return fail(431, "request head larger than " + std::to_string(lim_.max_header_bytes) + " bytes");
          return State::Incomplete;
        }
        if (end + 4 - pos_ > lim_.max_header_bytes)
          return fail(431, "request head larger than " + std::to_string(lim_.max_header_bytes) + " bytes");
        if (parse_head(end) == State::Error) return state_;
        break;
      }
      case Phase::Body: {
        size_t n = std::min(need_, buf_.size() - pos_);
        req_.body.append(buf_, pos_, n);
        pos_ += n;
        need_ -= n;
        if (need_ > 0) return State::Incomplete;
        phase_ = Phase::Done;
        break;
      }
      case Phase::ChunkSize: {
        size_t e = buf_.find("\r\n", pos_);
        if (e == std::string::npos) {
          if (buf_.size() - pos_ > 1024) return fail(400, "chunk size line longer than 1024 bytes");
          return State::Incomplete;
        }
        if (e - pos_ > 1024) return fail(400, "chunk size line longer than 1024 bytes");
        std::string_view line(buf_.data() + pos_, e - pos_);
        std::string_view hex = line.substr(0, line.find(';'));
        hex = trim(hex);
        if (hex.empty() || hex.size() > 15 || !std::all_of(hex.begin(), hex.end(), [](char c) {
              return std::isxdigit(static_cast<unsigned char>(c));
            }))
          return fail(400, "malformed chunk size \"" + shown(line) + "\"");
        size_t n = std::stoull(std::string(hex), nullptr, 16);
        if (n > lim_.max_body || req_.body.size() + n > lim_.max_body)
          return fail(413, "chunked body exceeds the limit of " + std::to_string(lim_.max_body) + " bytes");
        pos_ = e + 2;
        if (n == 0) {
          phase_ = Phase::Trailer;
        } else {
          need_ = n;
          phase_ = Phase::ChunkData;
        }
        break;
      }
      case Phase::ChunkData: {
        size_t n = std::min(need_, buf_.size() - pos_);
        req_.body.append(buf_, pos_, n);
        pos_ += n;
        need_ -= n;
        if (need_ > 0) return State::Incomplete;
        phase_ = Phase::ChunkEnd;
        break;
      }
      case Phase::ChunkEnd:
        if (buf_.size() - pos_ < 2) return State::Incomplete;
        if (buf_.compare(pos_, 2, "\r\n") != 0) return fail(400, "chunk data not followed by CRLF");
        pos_ += 2;
        phase_ = Phase::ChunkSize;
        break;
      case Phase::Trailer: {
        size_t e = buf_.find("\r\n", pos_);
        if (e == std::string::npos) {
          if (trailer_ + buf_.size() - pos_ > lim_.max_header_bytes)
            return fail(431, "chunked trailer too large");
          return State::Incomplete;
        }
        trailer_ += e - pos_ + 2;
        if (trailer_ > lim_.max_header_bytes) return fail(431, "chunked trailer too large");
        bool blank = e == pos_;
        pos_ = e + 2;
        if (blank) phase_ = Phase::Done;  // trailer fields are read and ignored
        break;
      }
      case Phase::Done:
        // Keep the buffer small: what is parsed is dropped (leftover() is the next request).
        buf_.erase(0, pos_);
        pos_ = 0;
        state_ = State::Done;
        return state_;
    }
    // Drop consumed bytes of a large body now and then (amortised).
    if (pos_ > (64u << 10) && pos_ * 2 > buf_.size()) {
      buf_.erase(0, pos_);
      scanned_ = scanned_ > pos_ ? scanned_ - pos_ : 0;
      pos_ = 0;
    }
  }
}

std::string_view status_text(int s) {
  switch (s) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

// ---- AdmissionReview ---------------------------------------------------------------------------

namespace {
constexpr std::string_view kReviewApi = "admission.k8s.io/v1";

const Value* str_field(const Value* o, std::string_view k) {
  const Value* v = o ? o->find(k) : nullptr;
  return v && v->is(Type::String) ? v : nullptr;
}
std::string text_of(const Value* o, std::string_view k) {
  const Value* v = str_field(o, k);
  return v ? v->text : std::string();
}

std::string clip(std::string s, size_t n) {
  if (s.size() <= n) return s;
  // Do not cut a UTF-8 sequence in two.
  size_t k = n - 3;
  while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
  s.resize(k);
  return s + "...";
}

void finish(Decision& d, int code) {
  Value resp = Value::make_object();
  resp.add("uid", Value::make_string(d.uid));
  resp.add("allowed", Value::make_bool(d.allowed));
  if (!d.message.empty() || !d.allowed) {
    Value st = Value::make_object();
    st.add("code", Value::make_u64(static_cast<uint64_t>(code)));
    if (!d.allowed) {
      st.add("status", Value::make_string("Failure"));
      st.add("reason", Value::make_string(code == 400 ? "BadRequest" : "Forbidden"));
    }
    st.add("message", Value::make_string(clip(d.message, kMaxMessageChars)));
    resp.add("status", std::move(st));
  }
  if (!d.warnings.empty()) {
    Value w = Value::make_array();
    for (const auto& s : d.warnings) w.push(Value::make_string(s));
    resp.add("warnings", std::move(w));
  }
  Value root = Value::make_object();
  root.add("apiVersion", Value::make_string(std::string(kReviewApi)));
  root.add("kind", Value::make_string("AdmissionReview"));
  root.add("response", std::move(resp));
  d.http_status = 200;
  d.content_type = "application/json";
  d.body = json::write(root, {.indent = 0});
  d.body += "\n";
}

Decision malformed(std::string msg) {
  Decision d;
  d.http_status = 400;
  d.result = "malformed";
  d.content_type = "text/plain; charset=utf-8";
  d.message = std::move(msg);
  d.body = d.message + "\n";
  return d;
}

Decision allow(Decision d, std::string why) {
  d.allowed = true;
  d.result = "allowed";
  d.message = std::move(why);
  finish(d, 200);
  return d;
}

Decision invalid(Decision d, std::string why) {
  d.allowed = false;
  d.result = "invalid";
  d.message = "confine: not a valid admission request: " + std::move(why);
  finish(d, 400);
  return d;
}

// The parts of a pod that the checks read: for an UPDATE that leaves them alone there is nothing new
// to judge (as Pod Security Admission does for updates that do not change the pod spec).
bool same_pod_relevant(const Value& a, const Value& b) {
  rules::Workload wa = rules::model(a), wb = rules::model(b);
  auto eq = [](const Value* x, const Value* y) { return (!x && !y) || (x && y && json::equal(*x, *y)); };
  const Value* aa = wa.meta ? wa.meta->find("annotations") : nullptr;
  const Value* ab = wb.meta ? wb.meta->find("annotations") : nullptr;
  return wa.kind == wb.kind && eq(wa.spec, wb.spec) && eq(aa, ab);
}
}  // namespace

Decision review(std::string_view body, const ReviewConfig& c) {
  auto parsed = json::parse(body, "request", c.limits);
  if (!parsed.ok()) return malformed("malformed AdmissionReview: " + parsed.error().message());
  const Value& root = *parsed;
  if (!root.is(Type::Object))
    return malformed("malformed AdmissionReview: expected a JSON object, got " +
                     std::string(json::type_name(root.type)));
  Decision d;
  const Value* req = root.find("request");
  if (req && !req->is(Type::Object)) req = nullptr;
  d.uid = text_of(req, "uid");
  std::string api = text_of(&root, "apiVersion"), kind = text_of(&root, "kind");
  if (api != kReviewApi || kind != "AdmissionReview")
    return invalid(std::move(d),
                   "expected apiVersion admission.k8s.io/v1, kind AdmissionReview; got apiVersion " +
                       json::quote(clip(api, 80)) + ", kind " + json::quote(clip(kind, 80)) +
                       " (admissionReviewVersions must be [v1])");
  if (!req) return invalid(std::move(d), "no request object");
  if (d.uid.empty()) return invalid(std::move(d), "request.uid is missing or not a string");
  d.uid = clip(d.uid, 128);
  std::string op = text_of(req, "operation");
  if (op == "DELETE" || op == "CONNECT")
    return allow(std::move(d), op + ": nothing to check (confine judges what would run: CREATE and UPDATE)");
  if (op != "CREATE" && op != "UPDATE")
    return invalid(std::move(d), "request.operation " + json::quote(clip(op, 40)) +
                                     " (expected CREATE, UPDATE, DELETE or CONNECT)");
  std::string sub = text_of(req, "subResource");
  if (!sub.empty() && sub != "ephemeralcontainers")
    return allow(std::move(d), "subresource " + json::quote(clip(sub, 40)) + ": nothing to check");
  const Value* kv = req->find("kind");
  std::string rkind = text_of(kv && kv->is(Type::Object) ? kv : nullptr, "kind");
  const Value* obj = req->find("object");
  if (!obj || !obj->is(Type::Object))
    return invalid(std::move(d), "request.object is missing or not an object");
  if (rkind.empty()) return invalid(std::move(d), "request.kind.kind is missing");

  // The object as the scan engine reads it. Before 1.22 the ephemeralcontainers subresource took an
  // EphemeralContainers object (its containers at the top level): judged as the pod it extends.
  Value own;
  std::string okind = text_of(obj, "kind");
  if (rkind == "EphemeralContainers" || okind == "EphemeralContainers") {
    own = Value::make_object();
    own.add("apiVersion", Value::make_string("v1"));
    own.add("kind", Value::make_string("Pod"));
    if (const Value* m = obj->find("metadata")) own.add("metadata", *m);
    Value spec = Value::make_object();
    spec.add("containers", Value::make_array());
    if (const Value* e = obj->find("ephemeralContainers")) spec.add("ephemeralContainers", *e);
    own.add("spec", std::move(spec));
    obj = &own;
  } else if (okind.empty()) {
    own = *obj;  // the API server always sets kind; a client that did not gets request.kind
    own.members.insert(own.members.begin(), json::Member{"kind", {}, Value::make_string(rkind)});
    obj = &own;
  } else if (okind != rkind) {
    return invalid(std::move(d), "request.object kind " + json::quote(clip(okind, 60)) +
                                     " differs from request.kind " + json::quote(clip(rkind, 60)));
  }
  rules::Workload w = rules::model(*obj);
  if (!w.supported)
    return allow(std::move(d), "kind " + clip(rkind, 60) +
                                   " is not a workload: nothing to check (checked: Pod, Deployment, "
                                   "StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController, "
                                   "PodTemplate)");
  d.object = clip(w.id(), 200);
  if (op == "UPDATE" && sub.empty()) {
    const Value* old = req->find("oldObject");
    if (old && old->is(Type::Object) && same_pod_relevant(*old, *obj)) {
      std::string why = d.object + ": the update leaves the pod spec and its annotations unchanged";
      return allow(std::move(d), std::move(why));
    }
  }
  if (c.bundle_required && !c.bundle) {
    d.allowed = false;
    d.result = "denied";
    d.message = d.object + ": denied by confine: the bundle is not loaded (" + c.bundle_problem +
                "), so Localhost profiles cannot be checked (fail closed)";
    finish(d, 403);
    return d;
  }

  scan::Document doc{"request", Value()};
  std::vector<scan::Object> objs{{&doc, obj}};
  scan::Options so;
  so.level = c.level;
  so.version = c.version;
  so.bundle = c.bundle;
  auto rs = scan::run(objs, so);
  std::vector<std::string> errors;
  for (const auto& r : rs)
    for (const auto& f : r.findings) {
      std::string line = f.rule + (f.path.empty() ? "" : " at " + f.path) + ": " + f.message;
      if (f.severity == rules::Severity::Error)
        errors.push_back(std::move(line));
      else if (d.warnings.size() < kMaxWarnings)
        d.warnings.push_back(clip(std::move(line), kMaxWarningChars));
    }
  if (errors.empty()) return allow(std::move(d), "");
  d.allowed = false;
  d.result = "denied";
  std::string m = d.object + ": denied by confine (" + std::string(rules::level_name(c.level)) + ", " +
                  c.version.str() + (c.bundle ? ", bundle " + c.bundle->hash : "") +
                  "): " + std::to_string(errors.size()) + " finding(s): ";
  for (size_t i = 0; i < errors.size(); ++i) {
    std::string next = (i ? "; " : "") + errors[i];
    if (m.size() + next.size() > kMaxMessageChars - 40) {
      m += "; and " + std::to_string(errors.size() - i) + " more";
      break;
    }
    m += next;
  }
  d.message = std::move(m);
  finish(d, 403);
  return d;
}

// ---- the manifest ------------------------------------------------------------------------------

namespace {
Value str(std::string s) { return Value::make_string(std::move(s)); }
Value kv(std::initializer_list<std::pair<const char*, Value>> l) {
  Value o = Value::make_object();
  for (const auto& [k, v] : l) o.add(k, v);
  return o;
}
Value strs(std::initializer_list<std::string> l) {
  Value a = Value::make_array();
  for (const auto& s : l) a.push(str(s));
  return a;
}
std::string b64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    o += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    o += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    o += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return o;
}
bool dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}
}  // namespace

Result<std::vector<Value>> manifest(const ManifestOptions& o) {
  if (!dns_label(o.ns)) return Error("--namespace " + json::quote(o.ns) + " is not a DNS label");
  if (!dns_label(o.service)) return Error("--service " + json::quote(o.service) + " is not a DNS label");
  if (o.failure_policy != "Fail" && o.failure_policy != "Ignore")
    return Error("--failure-policy must be Fail or Ignore");
  if (o.timeout_seconds < 1 || o.timeout_seconds > 30)
    return Error("--timeout-seconds must be 1..30 (the API server's bounds)");
  if (o.ca_bundle_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
    return Error("--ca-bundle: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)");
  const std::string secret = o.tls_secret.empty() ? o.service + "-tls" : o.tls_secret;
  if (!dns_label(secret)) return Error("--tls-secret " + json::quote(secret) + " is not a DNS label");
  Value labels =
      kv({{"app.kubernetes.io/name", str(o.service)}, {"app.kubernetes.io/part-of", str("confine")}});
  Value sel = kv({{"app.kubernetes.io/name", str(o.service)}});
  auto meta = [&](bool namespaced) {
    Value m = kv({{"name", str(o.service)}});
    if (namespaced) m.add("namespace", str(o.ns));
    m.add("labels", labels);
    return m;
  };
  std::vector<Value> out;

  Value sa = kv({{"apiVersion", str("v1")}, {"kind", str("ServiceAccount")}, {"metadata", meta(true)}});
  sa.add("automountServiceAccountToken", Value::make_bool(false));  // it calls no API
  out.push_back(std::move(sa));

  Value svc = kv({{"apiVersion", str("v1")}, {"kind", str("Service")}, {"metadata", meta(true)}});
  Value ports = Value::make_array();
  ports.push(kv({{"name", str("https")},
                 {"port", Value::make_u64(443)},
                 {"targetPort", str("https")},
                 {"protocol", str("TCP")}}));
  svc.add("spec", kv({{"selector", sel}, {"ports", std::move(ports)}}));
  out.push_back(std::move(svc));

  Value args =
      strs({"k8s", "webhook", "--listen", ":8443", "--tls-cert", "/etc/confine/tls/tls.crt", "--tls-key",
            "/etc/confine/tls/tls.key", "--level", std::string(rules::level_name(o.level))});
  if (o.version_given) {
    args.push(str("--k8s-version"));
    args.push(str("1." + std::to_string(o.version.minor)));
  }
  Value vols = Value::make_array(), mounts = Value::make_array();
  vols.push(kv({{"name", str("tls")}, {"secret", kv({{"secretName", str(secret)}})}}));
  mounts.push(kv(
      {{"name", str("tls")}, {"mountPath", str("/etc/confine/tls")}, {"readOnly", Value::make_bool(true)}}));
  if (o.bundle_parts > 0) {
    args.push(str("--bundle"));
    args.push(str("/etc/confine/bundle"));
    for (unsigned i = 1; i <= o.bundle_parts; ++i) {
      std::string n = "bundle-" + std::to_string(i);
      // The ConfigMaps `confine k8s bundle` writes (same namespace): the webhook checks against
      // what the nodes' agents install.
      vols.push(
          kv({{"name", str(n)}, {"configMap", kv({{"name", str("confine-bundle-" + std::to_string(i))}})}}));
      mounts.push(kv({{"name", str(n)},
                      {"mountPath", str("/etc/confine/bundle/" + std::to_string(i))},
                      {"readOnly", Value::make_bool(true)}}));
    }
  }
  auto probe = [](const char* path) {
    return kv({{"httpGet", kv({{"path", str(path)}, {"port", str("https")}, {"scheme", str("HTTPS")}})},
               {"periodSeconds", Value::make_u64(10)}});
  };
  Value cports = Value::make_array();
  cports.push(
      kv({{"name", str("https")}, {"containerPort", Value::make_u64(8443)}, {"protocol", str("TCP")}}));
  Value container = kv({
      {"name", str("webhook")},
      {"image", str(o.image)},
      {"args", std::move(args)},
      {"ports", std::move(cports)},
      {"readinessProbe", probe("/readyz")},
      {"livenessProbe", probe("/healthz")},
      {"resources", kv({{"requests", kv({{"cpu", str("50m")}, {"memory", str("64Mi")}})},
                        {"limits", kv({{"memory", str("512Mi")}})}})},
      {"securityContext", kv({{"allowPrivilegeEscalation", Value::make_bool(false)},
                              {"privileged", Value::make_bool(false)},
                              {"readOnlyRootFilesystem", Value::make_bool(true)},
                              {"runAsNonRoot", Value::make_bool(true)},
                              {"capabilities", kv({{"drop", strs({"ALL"})}})},
                              {"seccompProfile", kv({{"type", str("RuntimeDefault")}})}})},
      {"volumeMounts", std::move(mounts)},
  });
  Value containers = Value::make_array();
  containers.push(std::move(container));
  Value podspec = kv({
      {"serviceAccountName", str(o.service)},
      {"automountServiceAccountToken", Value::make_bool(false)},
      {"terminationGracePeriodSeconds", Value::make_u64(30)},
      {"securityContext", kv({{"runAsNonRoot", Value::make_bool(true)},
                              {"runAsUser", Value::make_u64(65532)},
                              {"runAsGroup", Value::make_u64(65532)},
                              {"seccompProfile", kv({{"type", str("RuntimeDefault")}})}})},
      {"containers", std::move(containers)},
      {"volumes", std::move(vols)},
  });
  Value dep = kv({{"apiVersion", str("apps/v1")}, {"kind", str("Deployment")}, {"metadata", meta(true)}});
  dep.add("spec",
          kv({{"replicas", Value::make_u64(o.replicas)},
              {"selector", kv({{"matchLabels", sel}})},
              {"template", kv({{"metadata", kv({{"labels", labels}})}, {"spec", std::move(podspec)}})}}));
  out.push_back(std::move(dep));

  auto rule = [](const char* group, std::initializer_list<std::string> res) {
    return kv({{"apiGroups", strs({group})},
               {"apiVersions", strs({"v1"})},
               {"operations", strs({"CREATE", "UPDATE"})},
               {"resources", strs(res)},
               {"scope", str("Namespaced")}});
  };
  Value rls = Value::make_array();
  rls.push(rule("", {"pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"}));
  rls.push(rule("apps", {"deployments", "statefulsets", "daemonsets", "replicasets"}));
  rls.push(rule("batch", {"jobs", "cronjobs"}));
  Value hook = kv({
      {"name", str(o.service + "." + o.ns + ".confine.dev")},
      {"admissionReviewVersions", strs({"v1"})},
      {"sideEffects", str("None")},
      {"failurePolicy", str(o.failure_policy)},
      {"matchPolicy", str("Equivalent")},
      {"timeoutSeconds", Value::make_u64(o.timeout_seconds)},
      {"clientConfig", kv({{"service", kv({{"namespace", str(o.ns)},
                                           {"name", str(o.service)},
                                           {"path", str("/validate")},
                                           {"port", Value::make_u64(443)}})},
                           {"caBundle", str(b64(o.ca_bundle_pem))}})},
      // Its own namespace is exempt: with failurePolicy Fail, the webhook's own pods could not be
      // created while no replica is up to admit them.
      {"namespaceSelector", kv({{"matchExpressions",
                                 [&] {
                                   Value a = Value::make_array();
                                   a.push(kv({{"key", str("kubernetes.io/metadata.name")},
                                              {"operator", str("NotIn")},
                                              {"values", strs({o.ns})}}));
                                   return a;
                                 }()}})},
      {"rules", std::move(rls)},
  });
  Value hooks = Value::make_array();
  hooks.push(std::move(hook));
  Value vwc = kv({{"apiVersion", str("admissionregistration.k8s.io/v1")},
                  {"kind", str("ValidatingWebhookConfiguration")},
                  {"metadata", meta(false)}});
  vwc.add("webhooks", std::move(hooks));
  out.push_back(std::move(vwc));
  return out;
}

}  // namespace confine::k8s::webhook
