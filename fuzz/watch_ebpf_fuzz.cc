// libFuzzer target: the eBPF watch source's event decoder (src/watch/ebpf.h EbpfEvents): arbitrary
// bytes as a stream of ring-buffer records (confine_whdr-led structs of ebpf/watch_abi.h, lengths,
// names and counts from the data) evaluated under the stock rules. Must neither crash nor read out
// of the record it was given.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ebpf/watch_abi.h"
#include "watch/ebpf.h"
#include "watch/rules.h"

namespace {
const confine::watch::RuleSet* stock() {
  static std::unique_ptr<confine::watch::RuleSet> rs = [] {
    auto r = std::make_unique<confine::watch::RuleSet>();
    if (!r->load(confine::watch::stock_rules(), "stock").ok() || !r->compile().ok()) __builtin_trap();
    return r;
  }();
  return rs.get();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  confine::watch::EbpfEvents ev(stock(), nullptr, true, [](const std::string&) {});
  // Records: a type byte, then the struct of that type (zero-filled past the input's end).
  size_t i = 0;
  while (i < size) {
    uint8_t kind = data[i++] % 5;
    size_t len = kind == 0   ? sizeof(confine_wenter)
                 : kind == 1 ? sizeof(confine_wexit)
                 : kind == 2 ? sizeof(confine_wexec)
                             : sizeof(confine_whdr);
    std::vector<uint8_t> rec(len, 0);
    size_t n = std::min(len, size - i);
    std::memcpy(rec.data(), data + i, n);
    i += n;
    confine_whdr h;
    std::memcpy(&h, rec.data(), sizeof h);
    h.type = kind == 0   ? CONFINE_WEV_ENTER
             : kind == 1 ? CONFINE_WEV_EXIT
             : kind == 2 ? CONFINE_WEV_EXEC
             : kind == 3 ? CONFINE_WEV_FORK
                         : CONFINE_WEV_GONE;
    h.tgid = 0x7fff0000u | (h.tgid & 0xff);  // pids that do not exist: no /proc reads of real ones
    h.tid = h.tgid + (h.tid & 1);
    h.ppid = 0x7fff0000u | (h.ppid & 0xff);
    h.cgroup_id &= 3;
    std::memcpy(rec.data(), &h, sizeof h);
    ev.on_event(rec.data(), rec.size());
  }
  ev.flush();
  return 0;
}
