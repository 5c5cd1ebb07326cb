// `confine k8s webhook`: the HTTP request parser and the AdmissionReview decoder (src/k8s/webhook.h).
// The TLS server is tested over the wire by tests/integration/k8s_webhook.sh.
#include "k8s/webhook.h"

#include <gtest/gtest.h>

#include <string>

using namespace confine;
using namespace confine::k8s;
using webhook::HttpParser;

namespace {

// Feeds `text` in pieces of `step` bytes (1 = byte by byte).
HttpParser::State feed(HttpParser& p, const std::string& text, size_t step) {
  HttpParser::State s = HttpParser::State::Incomplete;
  for (size_t i = 0; i < text.size(); i += step) s = p.feed(std::string_view(text).substr(i, step));
  return s;
}

const std::string kReq =
    "POST /validate?timeout=10s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "Content-Length: 5\r\n\r\nhello";

TEST(WebhookHttp, ContentLengthAnyChunking) {
  for (size_t step : {1u, 3u, 1000u}) {
    HttpParser p;
    ASSERT_EQ(feed(p, kReq, step), HttpParser::State::Done) << step << ": " << p.error();
    EXPECT_EQ(p.request().method, "POST");
    EXPECT_EQ(p.request().path(), "/validate");
    EXPECT_EQ(p.request().body, "hello");
    ASSERT_NE(p.request().header("content-type"), nullptr);
    EXPECT_EQ(*p.request().header("content-type"), "application/json");
    EXPECT_TRUE(p.request().keep_alive);
  }
}

TEST(WebhookHttp, ChunkedAndPipelined) {
  std::string r =
      "POST /validate HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n"
      "X-Trailer: 1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n";
  for (size_t step : {1u, 7u, 1000u}) {
    HttpParser p;
    ASSERT_EQ(feed(p, r, step), HttpParser::State::Done) << p.error();
    EXPECT_EQ(p.request().body, "hello world");
    HttpParser q;
    ASSERT_EQ(q.feed(p.leftover()), HttpParser::State::Done);
    EXPECT_EQ(q.request().path(), "/healthz");
  }
}

TEST(WebhookHttp, LeadingEmptyLinesAnySplit) {
  // Found by fuzz/k8s_webhook_http_fuzz.cc: fed byte by byte, a CR LF before the request line was
  // not skipped, so the same bytes parsed differently depending on how they arrived.
  const std::string r = "\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n";
  for (size_t step : {1u, 2u, 3u, 100u}) {
    HttpParser p;
    ASSERT_EQ(feed(p, r, step), HttpParser::State::Done) << step << ": " << p.error();
    EXPECT_EQ(p.request().path(), "/healthz");
  }
  HttpParser p;  // endless empty lines are bounded
  HttpParser::State s = HttpParser::State::Incomplete;
  for (int i = 0; i < 20000 && s == HttpParser::State::Incomplete; ++i) s = p.feed("\r\n");
  EXPECT_EQ(s, HttpParser::State::Error);
  EXPECT_EQ(p.error_status(), 431);
}

TEST(WebhookHttp, Limits) {
  webhook::HttpLimits l;
  l.max_body = 100;
  {
    HttpParser p(l);
    EXPECT_EQ(p.feed("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n"), HttpParser::State::Error);
    EXPECT_EQ(p.error_status(), 413);
  }
  {
    HttpParser p(l);
    EXPECT_EQ(p.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'x') +
                     "\r\n40\r\n"),
              HttpParser::State::Error);
    EXPECT_EQ(p.error_status(), 413);
  }
  {
    HttpParser p(l);  // a head that never ends
    HttpParser::State s = HttpParser::State::Incomplete;
    for (int i = 0; i < 2000 && s == HttpParser::State::Incomplete; ++i)
      s = p.feed("X-A: bbbbbbbbbbbbbbbbbbbb\r\n");
    EXPECT_EQ(s, HttpParser::State::Error);
    EXPECT_EQ(p.error_status(), 431);
  }
  {
    HttpParser p(l);
    std::string many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 100; ++i) many += "A" + std::to_string(i) + ": 1\r\n";
    EXPECT_EQ(p.feed(many + "\r\n"), HttpParser::State::Error);
    EXPECT_EQ(p.error_status(), 431);
  }
}

TEST(WebhookHttp, Malformed) {
  struct Case {
    std::string text;
    int status;
  } cases[] = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET  / HTTP/1.1\r\n\r\n", 400},
      {"GET http://x/ HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", 400},
      {"GET / HTTP/1.1\r\n folded\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nNo Colon\r\n\r\n", 400},
      {std::string("GET / HTTP/1.1\r\nA: b\0c\r\n\r\n", 26), 400},
  };
  for (const auto& c : cases) {
    HttpParser p;
    EXPECT_EQ(p.feed(c.text), HttpParser::State::Error) << c.text;
    EXPECT_EQ(p.error_status(), c.status) << c.text << ": " << p.error();
  }
}

std::string review_of(const std::string& request) {
  return R"({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": )" + request + "}";
}

const std::string kPrivPod =
    R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"},
        "spec": {"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]}})";

json::Value response(const webhook::Decision& d) {
  auto v = json::parse(d.body);
  EXPECT_TRUE(v.ok()) << d.body;
  return v.ok() ? std::move(*v) : json::Value();
}

TEST(WebhookReview, DeniesWithCheckIdAndPath) {
  webhook::ReviewConfig c;
  auto d = webhook::review(
      review_of(R"({"uid": "u1", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
                    "object": )" +
                kPrivPod + "}"),
      c);
  EXPECT_EQ(d.http_status, 200);
  EXPECT_EQ(d.result, "denied");
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.message.find("privileged at spec.containers[0].securityContext.privileged"), std::string::npos)
      << d.message;
  auto r = response(d);
  EXPECT_EQ(r.find("response")->find("uid")->text, "u1");
  EXPECT_FALSE(r.find("response")->find("allowed")->boolean);
  EXPECT_EQ(r.find("response")->find("status")->find("code")->as_u64(), 403u);
}

TEST(WebhookReview, BaselineAllowsWithWarningsNone) {
  webhook::ReviewConfig c;
  c.level = rules::Level::Baseline;
  std::string pod = R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                        "spec": {"containers": [{"name": "c", "image": "i"}]}})";
  auto d = webhook::review(
      review_of(R"({"uid": "u", "kind": {"kind": "Pod"}, "operation": "CREATE", "object": )" + pod + "}"), c);
  EXPECT_EQ(d.result, "allowed") << d.message;
  EXPECT_TRUE(response(d).find("response")->find("allowed")->boolean);
}

TEST(WebhookReview, NotChecked) {
  webhook::ReviewConfig c;
  auto del = webhook::review(
      review_of(R"({"uid": "u", "kind": {"kind": "Pod"}, "operation": "DELETE", "oldObject": )" + kPrivPod +
                "}"),
      c);
  EXPECT_EQ(del.result, "allowed");
  EXPECT_NE(del.message.find("DELETE"), std::string::npos);
  auto cm = webhook::review(review_of(R"({"uid": "u", "kind": {"kind": "ConfigMap"}, "operation": "CREATE",
                                          "object": {"kind": "ConfigMap", "metadata": {"name": "x"}}})"),
                            c);
  EXPECT_EQ(cm.result, "allowed");
  EXPECT_NE(cm.message.find("not a workload"), std::string::npos);
  // An UPDATE leaving the pod spec alone (e.g. a label) is not judged again.
  auto up =
      webhook::review(review_of(R"({"uid": "u", "kind": {"kind": "Pod"}, "operation": "UPDATE", "object": )" +
                                kPrivPod + R"(, "oldObject": )" + kPrivPod + "}"),
                      c);
  EXPECT_EQ(up.result, "allowed");
}

TEST(WebhookReview, EphemeralContainersKind) {
  webhook::ReviewConfig c;
  auto d = webhook::review(review_of(R"({"uid": "u", "kind": {"kind": "EphemeralContainers"},
      "operation": "UPDATE", "subResource": "ephemeralcontainers",
      "object": {"kind": "EphemeralContainers", "metadata": {"name": "p"},
                 "ephemeralContainers": [{"name": "d", "image": "i", "securityContext": {"privileged": true}}]}})"),
                           c);
  EXPECT_EQ(d.result, "denied");
  EXPECT_NE(d.message.find("spec.ephemeralContainers[0].securityContext.privileged"), std::string::npos)
      << d.message;
}

TEST(WebhookReview, InvalidAndMalformed) {
  webhook::ReviewConfig c;
  auto bad = webhook::review("{not json", c);
  EXPECT_EQ(bad.http_status, 400);
  EXPECT_EQ(bad.result, "malformed");
  EXPECT_EQ(webhook::review("[1]", c).http_status, 400);
  std::string deep(100000, '[');
  EXPECT_EQ(webhook::review(deep, c).http_status, 400);
  struct Case {
    std::string body, text;
  } cases[] = {
      {R"({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "u"}})",
       "admission.k8s.io/v1beta1"},
      {R"({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"})", "no request"},
      {review_of(R"({"uid": 5})"), "request.uid"},
      {review_of(R"({"uid": "u", "operation": "PATCH"})"), "operation"},
      {review_of(R"({"uid": "u", "operation": "CREATE", "kind": {"kind": "Pod"}})"), "request.object"},
      {review_of(R"({"uid": "u", "operation": "CREATE", "kind": {"kind": "ConfigMap"}, "object": )" +
                 kPrivPod + "}"),
       "differs from request.kind"},
  };
  for (const auto& k : cases) {
    auto d = webhook::review(k.body, c);
    EXPECT_EQ(d.http_status, 200) << k.body;
    EXPECT_EQ(d.result, "invalid") << k.body;
    EXPECT_NE(d.message.find(k.text), std::string::npos) << d.message;
    auto r = response(d);
    EXPECT_EQ(r.find("response")->find("status")->find("code")->as_u64(), 400u);
  }
}

TEST(WebhookReview, BundleRequiredButNotLoadedDenies) {
  webhook::ReviewConfig c;
  c.bundle_required = true;
  c.bundle_problem = "bundle.json: ENOENT";
  std::string pod = R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                        "spec": {"containers": [{"name": "c", "image": "i"}]}})";
  auto d = webhook::review(
      review_of(R"({"uid": "u", "kind": {"kind": "Pod"}, "operation": "CREATE", "object": )" + pod + "}"), c);
  EXPECT_EQ(d.result, "denied");
  EXPECT_NE(d.message.find("bundle is not loaded (bundle.json: ENOENT)"), std::string::npos);
}

TEST(WebhookReview, ResponseBounded) {
  // Many findings: the message stays under the limit and says how many were left out.
  std::string cs;
  for (int i = 0; i < 300; ++i)
    cs +=
        std::string(i ? "," : "") + R"({"name": "c)" + std::to_string(i) +
        R"(", "image": "i", "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}})";
  std::string pod = R"({"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [)" + cs + "]}}";
  webhook::ReviewConfig c;
  auto d = webhook::review(
      review_of(R"({"uid": "u", "kind": {"kind": "Pod"}, "operation": "CREATE", "object": )" + pod + "}"), c);
  EXPECT_EQ(d.result, "denied");
  EXPECT_LE(d.message.size(), webhook::kMaxMessageChars);
  EXPECT_NE(d.message.find("more"), std::string::npos);
  EXPECT_LE(d.warnings.size(), webhook::kMaxWarnings);
}

TEST(WebhookManifest, Objects) {
  webhook::ManifestOptions m;
  m.ca_bundle_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  auto objs = webhook::manifest(m);
  ASSERT_TRUE(objs.ok()) << objs.error().message();
  ASSERT_EQ(objs->size(), 4u);
  const auto& vwc = objs->back();
  EXPECT_EQ(vwc.find("kind")->text, "ValidatingWebhookConfiguration");
  const auto& h = vwc.find("webhooks")->items.at(0);
  EXPECT_EQ(h.find("failurePolicy")->text, "Fail");
  EXPECT_EQ(h.find("sideEffects")->text, "None");
  m.ns = "Bad_NS";
  EXPECT_FALSE(webhook::manifest(m).ok());
  m.ns = "ok";
  m.ca_bundle_pem = "junk";
  EXPECT_FALSE(webhook::manifest(m).ok());
}

}  // namespace
