// libFuzzer target: the webhook's AdmissionReview decoder and decision (src/k8s/webhook.h review()),
// over the scan engine at both levels. Any crash, hang or sanitizer report is a bug; every answer
// must be a 400 or a well-formed AdmissionReview response (valid JSON, the response's uid and
// allowed set).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "json/json.h"
#include "k8s/webhook.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace webhook = confine::k8s::webhook;
  namespace rules = confine::k8s::rules;
  for (auto level : {rules::Level::Baseline, rules::Level::Restricted}) {
    webhook::ReviewConfig c;
    c.level = level;
    c.bundle_required = level == rules::Level::Baseline;
    c.bundle_problem = "fuzz";
    auto d = webhook::review(text, c);
    if (d.http_status == 400) continue;
    if (d.http_status != 200) __builtin_trap();
    auto r = confine::json::parse(d.body);
    if (!r.ok()) __builtin_trap();
    const auto* resp = r->find("response");
    if (!resp || !resp->find("uid") || !resp->find("allowed")) __builtin_trap();
    if (resp->find("allowed")->boolean != d.allowed) __builtin_trap();
    if (d.message.size() > webhook::kMaxMessageChars + 200) __builtin_trap();
  }
  return 0;
}
