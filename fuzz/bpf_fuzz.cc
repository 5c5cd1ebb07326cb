// libFuzzer target: any byte string -> from_bytes -> check -> run/disassemble/to_c
// never crashes, hangs or reads out of bounds; and the interpreter keeps its
// contract: every program check() accepts runs without error, in at most
// len(prog) steps, on any seccomp_data.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "seccomp/bpf/bpf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace confine::bpf;
  // Layout: [64 bytes seccomp_data if size >= 72] [program bytes, truncated to a multiple of 8].
  SeccompData d;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (size >= sizeof(SeccompData) + 8) {
    std::memcpy(&d, data, sizeof d);
    in.remove_prefix(sizeof d);
  }
  in = in.substr(0, in.size() - in.size() % 8);
  auto prog = from_bytes(in);
  if (!prog.ok()) return 0;
  if (to_bytes(*prog) != in) std::abort();
  const bool ok = check(*prog).ok();
  SeccompData variants[3] = {d, SeccompData{}, d};
  variants[2].nr = ~d.nr;
  variants[2].args[0] = ~d.args[0];
  for (const auto& v : variants) {
    auto r = run(*prog, v);
    if (ok && (!r.ok() || r->executed == 0 || r->executed > prog->size())) std::abort();
    auto be = run(*prog, v, Endian::Big);  // big-endian seccomp_data layout: same contract
    if (ok && (!be.ok() || be->executed > prog->size())) std::abort();
    if (r.ok() != be.ok() && ok) std::abort();
  }
  std::string a = disassemble(*prog);
  std::string b = disassemble(*prog, {.annotate = false});
  std::string c = to_c(*prog);
  if (a.empty() || b.empty() || c.empty()) std::abort();
  (void)ret_str(static_cast<uint32_t>(d.args[0]));
  return 0;
}
