#include "syscalls/syscalls.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <mutex>
#include <string>

namespace confine {
namespace gen {
struct RawSyscall {
  const char* name;
  int32_t nr;
};
struct RawTable {
  const char* name;
  const RawSyscall* entries;
  size_t size;
};
}  // namespace gen
}  // namespace confine

#include "syscalls_table.inc"

namespace confine {

namespace {
// Entries by number, built on first use per arch (a copy with the arch's offset added: no sort).
const std::vector<SyscallEntry>& by_nr(Arch a) {
  static std::array<std::vector<SyscallEntry>, kArchCount> tables;
  static std::array<std::once_flag, kArchCount> once;
  size_t i = static_cast<size_t>(a);
  std::call_once(once[i], [&] {
    const ArchInfo& info = arch_info(a);
    for (const auto& t : gen::kTables) {
      if (info.table != t.name) continue;
      tables[i].reserve(t.size);
      for (size_t k = 0; k < t.size; ++k)
        tables[i].push_back({t.entries[k].name,
                             static_cast<int32_t>(t.entries[k].nr + static_cast<int32_t>(info.nr_offset))});
    }
  });
  return tables[i];
}

// Column of gen::kNameNumbers for an arch (-1: no table), computed once for all arches.
int table_column(Arch a) {
  static const std::array<int, kArchCount> cols = [] {
    std::array<int, kArchCount> c;
    c.fill(-1);
    for (const ArchInfo& info : all_arches())
      for (size_t t = 0; t < std::size(gen::kTables); ++t)
        if (info.table == gen::kTables[t].name) c[static_cast<size_t>(info.arch)] = static_cast<int>(t);
    return c;
  }();
  return cols[static_cast<size_t>(a)];
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::span<const SyscallEntry> syscall_table(Arch a) { return by_nr(a); }

std::optional<size_t> syscall_name_index(std::string_view name) {
  auto names = all_syscall_names();
  auto it = std::lower_bound(names.begin(), names.end(), name);
  if (it == names.end() || *it != name) return std::nullopt;
  return static_cast<size_t>(it - names.begin());
}

std::optional<int32_t> syscall_number_at(Arch a, size_t name_index) {
  int col = table_column(a);
  if (col < 0 || name_index >= std::size(gen::kNameNumbers)) return std::nullopt;
  int32_t nr = gen::kNameNumbers[name_index][col];
  if (nr < 0) return std::nullopt;
  return static_cast<int32_t>(nr + static_cast<int32_t>(arch_info(a).nr_offset));
}

std::optional<int32_t> syscall_number(Arch a, std::string_view name) {
  auto i = syscall_name_index(name);
  if (!i) return std::nullopt;
  return syscall_number_at(a, *i);
}

std::optional<std::string_view> syscall_name(Arch a, int32_t nr) {
  const auto& v = by_nr(a);
  auto it =
      std::lower_bound(v.begin(), v.end(), nr, [](const SyscallEntry& e, int32_t n) { return e.nr < n; });
  if (it == v.end() || it->nr != nr) return std::nullopt;
  return it->name;
}

int32_t max_syscall_number(Arch a) {
  const auto& v = by_nr(a);
  return v.empty() ? -1 : v.back().nr;
}

// Generated sorted and unique (tools/gen_syscalls.cc): no start-up work.
std::span<const std::string_view> all_syscall_names() { return gen::kAllNames; }

bool syscall_known_anywhere(std::string_view name) { return syscall_name_index(name).has_value(); }

std::vector<std::string_view> similar_syscall_names(std::string_view name, size_t max) {
  std::vector<std::pair<size_t, std::string_view>> scored;
  // Only suggest plausible corrections: distance at most a third of the length (min 2).
  const size_t limit = std::max<size_t>(2, name.size() / 3);
  for (auto n : all_syscall_names()) {
    // The length difference is a lower bound of the edit distance.
    size_t len_diff = n.size() > name.size() ? n.size() - name.size() : name.size() - n.size();
    if (len_diff > limit) continue;
    size_t d = edit_distance(name, n);
    if (d <= limit) scored.push_back({d, n});
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string_view> out;
  for (size_t i = 0; i < scored.size() && out.size() < max; ++i) out.push_back(scored[i].second);
  return out;
}

std::vector<Arch> arches_with_syscall(std::string_view name) {
  std::vector<Arch> out;
  for (const ArchInfo& a : all_arches())
    if (syscall_number(a.arch, name)) out.push_back(a.arch);
  return out;
}

std::optional<int32_t> parse_syscall_number(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty() || text.size() > 16) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    v = v * base + d;
    if (v > INT32_MAX) return std::nullopt;
  }
  return static_cast<int32_t>(v);
}

std::string_view syscall_tables_version() { return gen::kLinuxVersion; }

}  // namespace confine
