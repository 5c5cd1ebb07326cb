// libFuzzer target: the ErrorSampler's decoders never crash or read out of
// bounds on arbitrary bytes -- tracefs format text (parse_sys_exit_format, parse_sys_enter_format) and
// perf ring-buffer records (decode_record + classify) -- and whatever format
// they accept has offsets inside a record the kernel could write.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "record/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace confine::record;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = detail::parse_sys_exit_format(text);
  if (f.ok() && (f->id == 0 || f->id_off > 4096 || f->ret_off > 4096)) std::abort();
  if (!f.ok() && f.error().message().empty()) std::abort();
  auto fe = detail::parse_sys_enter_format(text);
  if (fe.ok() && (fe->id == 0 || fe->id_off > 4096 ||
                  (fe->args_off != detail::SysExitFormat::kNoArgs && fe->args_off > 4096)))
    std::abort();
  if (!fe.ok() && fe.error().message().empty()) std::abort();
  // The same bytes as a record (copied so ASan sees its exact end), with the
  // real offsets and with fuzzed ones.
  std::vector<uint8_t> rec(data, data + size);
  for (uint32_t off : {8u, 16u, size > 0 ? static_cast<uint32_t>(data[0]) : 0u, 0xfffffff8u}) {
    auto d = detail::decode_record(rec.data(), rec.size(), off, 16, off + 8);
    if (d.have_args && d.kind != detail::Decoded::kSample) std::abort();
    auto k = detail::classify(d);
    if (k && (k->err < 1 || k->err > 4095)) std::abort();
    if (k && d.kind != detail::Decoded::kSample) std::abort();
  }
  return 0;
}
