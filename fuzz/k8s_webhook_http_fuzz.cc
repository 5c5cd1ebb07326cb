// libFuzzer target: the webhook's HTTP/1.1 request parser (src/k8s/webhook.h HttpParser), fed the input
// whole and in pieces (the split points come from the first byte), with small limits so the limit
// paths are reached. Any crash, hang or sanitizer report is a bug; the same bytes must give the same
// result however they are split.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "k8s/webhook.h"

using confine::k8s::webhook::HttpLimits;
using confine::k8s::webhook::HttpParser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = 1 + data[0] % 17;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  HttpLimits l;
  l.max_header_bytes = 512;
  l.max_headers = 8;
  l.max_body = 1024;
  HttpParser whole(l), pieces(l);
  auto a = whole.feed(text);
  auto b = HttpParser::State::Incomplete;
  for (size_t i = 0; i < text.size(); i += step) b = pieces.feed(text.substr(i, step));
  if (text.empty()) b = pieces.state();
  if (a != b) __builtin_trap();
  if (a == HttpParser::State::Error && whole.error_status() != pieces.error_status()) __builtin_trap();
  if (a == HttpParser::State::Done) {
    if (whole.request().body != pieces.request().body) __builtin_trap();
    if (whole.request().body.size() > l.max_body) __builtin_trap();
    (void)whole.request().path();
    (void)whole.request().header("content-type");
    // The next pipelined request.
    HttpParser next(l);
    (void)next.feed(whole.leftover());
  }
  return 0;
}
