#include "k8s/collect.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "core/file.h"
#include "k8s/runtime.h"
#include "logs/logs.h"

namespace confine::k8s {

namespace {
using json::Value;

struct Watched {
  std::string cgroup;  // "/machine.slice/libpod-ID.scope"
  const ComplainProfile* profile = nullptr;
};

// The cgroup v2 path of a live process ("" with *gone when it no longer exists).
std::string cgroup_of(int64_t pid, bool* gone) {
  *gone = false;
  std::string p = "/proc/" + std::to_string(pid) + "/cgroup";
  int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *gone = errno == ENOENT || errno == ESRCH;
    return "";
  }
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) {
    *gone = n < 0 && errno == ESRCH;
    return "";
  }
  return cgroup_v2_path(std::string_view(buf, static_cast<size_t>(n)));
}

bool under(const std::string& cg, const std::string& root) {
  return !root.empty() && (cg == root || (cg.size() > root.size() && cg.compare(0, root.size(), root) == 0 &&
                                          cg[root.size()] == '/'));
}

Status append_bounded(const std::string& path, const std::string& bytes, uint64_t max) {
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) + bytes.size() > max) {
    if (!S_ISREG(st.st_mode)) return Error(path + ": not a regular file");
    if (rename(path.c_str(), (path + ".1").c_str()) != 0)
      return Error::sys("rename(" + json::quote(path) + ", .1)", errno);
  }
  CONFINE_TRY(file::AppendFile f, file::AppendFile::open(path));
  return f.append(bytes);
}
}  // namespace

std::string cgroup_v2_path(std::string_view t) {
  for (size_t i = 0; i < t.size();) {
    size_t j = t.find('\n', i);
    if (j == std::string_view::npos) j = t.size();
    std::string_view l = t.substr(i, j - i);
    i = j + 1;
    if (l.starts_with("0::")) return std::string(l.substr(3));
  }
  return "";
}

std::optional<uint64_t> kmsg_seq(std::string_view rec) {
  size_t c1 = rec.find(',');
  if (c1 == std::string_view::npos) return std::nullopt;
  size_t c2 = rec.find(',', c1 + 1);
  size_t semi = rec.find(';');
  if (c2 == std::string_view::npos || semi == std::string_view::npos || semi < c2) return std::nullopt;
  uint64_t seq = 0;
  auto [p, ec] = std::from_chars(rec.data() + c1 + 1, rec.data() + c2, seq);
  if (ec != std::errc() || p != rec.data() + c2) return std::nullopt;
  return seq;
}

std::map<std::string, std::string> parse_profiles_list(std::string_view t) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < t.size();) {
    size_t j = t.find('\n', i);
    if (j == std::string_view::npos) j = t.size();
    std::string_view l = t.substr(i, j - i);
    i = j + 1;
    size_t sp = l.rfind(" (");
    if (sp == std::string_view::npos || sp == 0 || l.back() != ')') continue;
    out[std::string(l.substr(0, sp))] = std::string(l.substr(sp + 2, l.size() - sp - 3));
  }
  return out;
}

std::string complain_dir(const std::string& sd) { return sd + "/complain"; }
std::string collection_file(const std::string& sd, const std::string& pf) {
  std::string base = pf.size() > 5 ? pf.substr(0, pf.size() - 5) : pf;  // drop ".json"
  return complain_dir(sd) + "/" + base + ".log";
}

Value CollectStats::to_json() const {
  Value o = Value::make_object();
  o.add("records", Value::make_u64(records));
  o.add("seccomp", Value::make_u64(seccomp));
  Value a = Value::make_object();
  for (const auto& [f, n] : attributed) a.add(f, Value::make_u64(n));
  o.add("attributed", std::move(a));
  o.add("process_exited", Value::make_u64(process_exited));
  o.add("elsewhere", Value::make_u64(elsewhere));
  o.add("overwritten", Value::make_u64(overwritten));
  Value cs = Value::make_array();
  for (const auto& c : containers) cs.push(Value::make_string(c));
  o.add("containers", std::move(cs));
  if (!error.empty()) o.add("error", Value::make_string(error));
  return o;
}

CollectStats collect(const std::vector<ComplainProfile>& profiles, const CollectOptions& o) {
  CollectStats st;
  std::string dir = complain_dir(o.state_dir);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    st.error = Error::sys("mkdir(" + json::quote(dir) + ")", errno).message();
    return st;
  }
  // The cursor: "BOOT_ID SEQ". Sequence numbers restart at boot.
  std::string boot;
  if (auto b = file::read_file("/proc/sys/kernel/random/boot_id", 128); b.ok()) {
    boot = *b;
    while (!boot.empty() && boot.back() == '\n') boot.pop_back();
  }
  const std::string cursor_file = dir + "/kmsg.cursor";
  uint64_t last = 0;
  bool have_last = false;
  if (auto c = file::read_file(cursor_file, 256); c.ok()) {
    size_t sp = c->find(' ');
    if (sp != std::string::npos && c->substr(0, sp) == boot) {
      std::string n = c->substr(sp + 1);
      while (!n.empty() && n.back() == '\n') n.pop_back();
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), last);
      have_last = ec == std::errc() && p == n.data() + n.size();
    }
  }

  // The containers created with a complain profile, and their cgroups.
  std::vector<Watched> watched;
  if (!profiles.empty()) {
    RuntimeScan scan = scan_runtime(o.runtime_roots);
    for (const auto& p : profiles) {
      Use u = profile_use(scan, p.path, "confine/" + p.file, p.canonical);
      for (const auto& id : u.containers)
        for (const auto& c : scan.containers)
          if (c.root + "/" + c.id == id) {
            if (c.cgroup.empty()) {
              st.containers.push_back(id +
                                      " (no cgroup v2 path in its state: its records are not attributed)");
              continue;
            }
            watched.push_back({c.cgroup, &p});
            st.containers.push_back(id + " (" + c.cgroup + ")");
          }
    }
  }

  int fd = open(o.kmsg.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    st.error = Error::sys("open(" + json::quote(o.kmsg) + ")", errno).message();
    return st;
  }
  std::map<std::string, std::string> out;  // profile file -> lines to append
  uint64_t seq_max = last;
  bool any = false;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {  // the ring buffer overwrote records we had not read
        ++st.overwritten;
        continue;
      }
      if (errno != EAGAIN) st.error = Error::sys("read(" + json::quote(o.kmsg) + ")", errno).message();
      break;
    }
    if (n == 0) break;
    std::string_view rec(buf, static_cast<size_t>(n));
    // "PRIO,SEQ,USEC,FLAGS;MESSAGE\n[ KEY=VALUE\n]..."
    auto sq = kmsg_seq(rec);
    if (!sq) continue;
    uint64_t seq = *sq;
    if (have_last && seq <= last) continue;
    any = true;
    if (seq > seq_max) seq_max = seq;
    ++st.records;
    std::string_view line = rec.substr(0, rec.find('\n'));
    if (line.find("type=1326") == std::string_view::npos) continue;
    logs::Event ev;
    std::string why;
    if (logs::parse_line(line, 0, &ev, &why) != logs::LineResult::Event || ev.kind != logs::Kind::Seccomp)
      continue;
    ++st.seccomp;
    if (!ev.pid) {
      ++st.elsewhere;
      continue;
    }
    bool gone = false;
    std::string cg = cgroup_of(*ev.pid, &gone);
    if (gone) {
      ++st.process_exited;
      continue;
    }
    const Watched* w = nullptr;
    for (const auto& x : watched)
      if (under(cg, x.cgroup)) w = &x;
    if (!w) {
      ++st.elsewhere;
      continue;
    }
    out[w->profile->file].append(line).append("\n");
    ++st.attributed[w->profile->file];
  }
  close(fd);
  for (const auto& [pf, lines] : out)
    if (auto s = append_bounded(collection_file(o.state_dir, pf), lines, o.max_bytes); !s.ok())
      st.error = s.error().message();
  if (any && st.error.empty()) {
    file::WriteOptions wo;
    wo.new_mode = 0600;
    if (auto s = file::write_file_atomic(cursor_file, boot + " " + std::to_string(seq_max) + "\n", wo);
        !s.ok())
      st.error = s.error().message();
  }
  return st;
}

}  // namespace confine::k8s
