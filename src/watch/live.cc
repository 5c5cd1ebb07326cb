#include "watch/live.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/file.h"
#include "json/json.h"

namespace confine::watch {

namespace {

std::string read_small(const std::string& path, size_t max = 65536) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string s;
  char buf[4096];
  ssize_t n;
  while (s.size() < max && (n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return s;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// "/system.slice/docker-<64 hex>.scope", "/kubepods/.../<64 hex>", "libpod-<64 hex>": the
// first run of 64 hex digits names the container; its first 12 are the id Falco prints.
std::string container_id_from_cgroup(std::string_view cg) {
  size_t run = 0;
  for (size_t i = 0; i < cg.size(); ++i) {
    if (std::isxdigit(static_cast<unsigned char>(cg[i])) &&
        !std::isupper(static_cast<unsigned char>(cg[i]))) {
      if (++run == 64 && (i + 1 == cg.size() || !std::isxdigit(static_cast<unsigned char>(cg[i + 1]))))
        return std::string(cg.substr(i + 1 - 64, 12));
    } else {
      run = 0;
    }
  }
  return "host";
}

std::string comm_of_path(std::string_view p) {
  size_t s = p.rfind('/');
  std::string_view b = s == std::string_view::npos ? p : p.substr(s + 1);
  return std::string(b.substr(0, 15));
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string_view family_name(uint64_t f) {
  switch (f) {
    case 1: return "AF_UNIX";
    case 2: return "AF_INET";
    case 10: return "AF_INET6";
    case 16: return "AF_NETLINK";
    case 17: return "AF_PACKET";
    default: return {};
  }
}

std::string_view ptrace_name(uint64_t r) {
  switch (r) {
    case 0: return "PTRACE_TRACEME";
    case 1: return "PTRACE_PEEKTEXT";
    case 2: return "PTRACE_PEEKDATA";
    case 3: return "PTRACE_PEEKUSER";
    case 4: return "PTRACE_POKETEXT";
    case 5: return "PTRACE_POKEDATA";
    case 6: return "PTRACE_POKEUSER";
    case 7: return "PTRACE_CONT";
    case 8: return "PTRACE_KILL";
    case 9: return "PTRACE_SINGLESTEP";
    case 12: return "PTRACE_GETREGS";
    case 13: return "PTRACE_SETREGS";
    case 16: return "PTRACE_ATTACH";
    case 17: return "PTRACE_DETACH";
    case 24: return "PTRACE_SYSCALL";
    case 0x4200: return "PTRACE_SETOPTIONS";
    case 0x4206: return "PTRACE_SEIZE";
    case 0x4207: return "PTRACE_INTERRUPT";
    default: return {};
  }
}

// How evt.arg.NAME renders an argument.
enum class AK : uint8_t { Num, Fd, Path, Str, Family, Ptrace, Hex };
struct ArgSpec {
  std::string_view name;
  AK kind;
};
struct SysArgs {
  std::string_view sys;
  ArgSpec args[6];
};

// Falco's argument names for the syscalls the stock rules and common rules use. A Path
// argument renders the path the recorder's decoder resolved (absolute), when it did.
constexpr SysArgs kSysArgs[] = {
    {"open", {{"name", AK::Path}, {"flags", AK::Hex}, {"mode", AK::Num}}},
    {"creat", {{"name", AK::Path}, {"mode", AK::Num}}},
    {"openat", {{"dirfd", AK::Fd}, {"name", AK::Path}, {"flags", AK::Hex}, {"mode", AK::Num}}},
    {"openat2", {{"dirfd", AK::Fd}, {"name", AK::Path}}},
    {"execve", {{"filename", AK::Path}}},
    {"execveat",
     {{"dirfd", AK::Fd},
      {"pathname", AK::Path},
      {
          "flags",
          AK::Hex,
      }}},
    {"socket", {{"domain", AK::Family}, {"type", AK::Num}, {"proto", AK::Num}}},
    {"ptrace", {{"request", AK::Ptrace}, {"pid", AK::Num}, {"addr", AK::Hex}, {"data", AK::Hex}}},
    {"init_module", {{"img", AK::Hex}, {"length", AK::Num}, {"uargs", AK::Str}}},
    {"finit_module", {{"fd", AK::Fd}, {"uargs", AK::Str}, {"flags", AK::Hex}}},
    {"memfd_create", {{"name", AK::Str}, {"flags", AK::Hex}}},
    {"symlink", {{"target", AK::Str}, {"linkpath", AK::Path}}},
    {"symlinkat", {{"target", AK::Str}, {"linkdirfd", AK::Fd}, {"linkpath", AK::Path}}},
    {"unlink", {{"path", AK::Path}}},
    {"unlinkat", {{"dirfd", AK::Fd}, {"name", AK::Path}, {"flags", AK::Hex}}},
    {"mkdir", {{"path", AK::Path}, {"mode", AK::Num}}},
    {"mkdirat", {{"dirfd", AK::Fd}, {"path", AK::Path}, {"mode", AK::Num}}},
    {"rename", {{"oldpath", AK::Path}, {"newpath", AK::Path}}},
    {"renameat", {{"olddirfd", AK::Fd}, {"oldpath", AK::Path}, {"newdirfd", AK::Fd}, {"newpath", AK::Path}}},
    {"renameat2", {{"olddirfd", AK::Fd}, {"oldpath", AK::Path}, {"newdirfd", AK::Fd}, {"newpath", AK::Path}}},
    {"setuid", {{"uid", AK::Num}}},
    {"setgid", {{"gid", AK::Num}}},
    {"unshare", {{"flags", AK::Hex}}},
    {"setns", {{"fd", AK::Fd}, {"nstype", AK::Hex}}},
    {"mount", {{"dev", AK::Str}, {"dir", AK::Str}, {"type", AK::Str}, {"flags", AK::Hex}}},
    {"chmod", {{"filename", AK::Str}, {"mode", AK::Num}}},
    {"kill", {{"pid", AK::Num}, {"sig", AK::Num}}},
    {"connect", {{"fd", AK::Fd}, {"addr", AK::Str}}},
    {"bind", {{"fd", AK::Fd}, {"addr", AK::Str}}},
    {"bpf", {{"cmd", AK::Num}}},
};

const SysArgs* sys_args(std::string_view name) {
  for (const auto& s : kSysArgs)
    if (s.sys == name) return &s;
  return nullptr;
}

bool is_open_call(std::string_view n) {
  return n == "open" || n == "openat" || n == "openat2" || n == "creat";
}

}  // namespace

std::string ProcTable::user_name(uint32_t uid) {
  if (!users_loaded_) {
    users_loaded_ = true;
    std::string pw = read_small("/etc/passwd", 4u << 20);
    size_t i = 0;
    while (i < pw.size()) {
      size_t e = pw.find('\n', i);
      if (e == std::string::npos) e = pw.size();
      std::string_view line(pw.data() + i, e - i);
      size_t c1 = line.find(':'), c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1),
             c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
      if (c3 != std::string_view::npos) {
        uint32_t u = 0;
        auto r = std::from_chars(line.data() + c2 + 1, line.data() + c3, u);
        if (r.ec == std::errc() && !users_.count(u)) users_[u] = std::string(line.substr(0, c1));
      }
      i = e + 1;
    }
  }
  auto it = users_.find(uid);
  return it == users_.end() ? std::string() : it->second;
}

pid_t ProcTable::tgid_of(pid_t tid) {
  auto it = tgid_.find(tid);
  if (it != tgid_.end()) return it->second;
  std::string st = read_small("/proc/" + std::to_string(tid) + "/status", 8192);
  pid_t tg = tid;
  size_t p = st.find("\nTgid:");
  if (p != std::string::npos) tg = static_cast<pid_t>(std::atoi(st.c_str() + p + 6));
  if (tg <= 0) tg = tid;
  if (tgid_.size() > 100000) tgid_.clear();
  tgid_[tid] = tg;
  return tg;
}

ProcInfo* ProcTable::get(pid_t pid) {
  auto it = procs_.find(pid);
  if (it != procs_.end()) return &it->second;
  if (pid <= 0) return nullptr;
  std::string base = "/proc/" + std::to_string(pid);
  std::string st = read_small(base + "/stat", 4096);
  size_t open = st.find('('), close = st.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 4 >= st.size()) return nullptr;
  ProcInfo p;
  p.pid = pid;
  p.comm = st.substr(open + 1, close - open - 1);
  char state = 0;
  int ppid = 0;
  if (std::sscanf(st.c_str() + close + 2, "%c %d", &state, &ppid) == 2) p.ppid = ppid;
  p.exepath = read_link(base + "/exe");
  std::string cl = read_small(base + "/cmdline", 32768);
  if (!cl.empty()) {
    p.has_argv = true;
    size_t i = 0;
    while (i < cl.size()) {
      size_t e = cl.find('\0', i);
      if (e == std::string::npos) e = cl.size();
      p.argv.emplace_back(cl, i, e - i);
      i = e + 1;
    }
  }
  read_uid(pid, &p);
  std::string cg = read_small(base + "/cgroup", 8192);
  if (!cg.empty()) p.container_id = container_id_from_cgroup(cg);
  p.finish();
  return &put(std::move(p));
}

void ProcTable::read_uid(pid_t pid, ProcInfo* p) {
  std::string status = read_small("/proc/" + std::to_string(pid) + "/status", 8192);
  size_t u = status.find("\nUid:");
  if (u == std::string::npos) return;
  p->has_uid = true;
  p->uid = static_cast<uint32_t>(std::strtoul(status.c_str() + u + 5, nullptr, 10));
  p->user = user_name(p->uid);
}

void ProcTable::trim() {
  if (procs_.size() > 65536) procs_.clear();  // bounded; re-read from /proc on demand
}

ProcInfo& ProcTable::put(ProcInfo p) {
  pid_t pid = p.pid;
  auto& slot = procs_[pid];
  slot = std::move(p);
  return slot;
}

const ProcInfo* ProcTable::find(pid_t pid) { return get(pid); }

Result<Baseline> load_baseline(const std::string& dir) {
  Baseline b;
  b.file = dir + "/behavior.json";
  CONFINE_TRY(behavior::Behavior beh, behavior::load_behavior(b.file));
  for (const auto& [arch, calls] : beh.arches)
    for (const auto& [name, info] : calls) b.syscalls[arch].insert(name);
  b.execs = beh.execs;
  return b;
}

LiveWatcher::LiveWatcher(const RuleSet* rules, const Baseline* baseline, bool json,
                         std::function<void(const std::string&)> emit)
    : rules_(rules), base_(baseline), json_(json), emit_(std::move(emit)) {
  char h[256] = {0};
  if (gethostname(h, sizeof h - 1) == 0) hostname_ = h;
  ev_.procs = &procs_;
  deviation_rule_.name = "Deviation from the recorded profile";
  deviation_rule_.desc = "a syscall or program the profile's recording never saw";
  deviation_rule_.priority = Priority::Notice;
  deviation_rule_.tags = {"deviation"};
  deviation_rule_.source = "syscall";
}

namespace {
// Calls after which the process's user changes: its entry is read again at its next event.
bool changes_ids(std::string_view n) {
  return n == "setuid" || n == "setreuid" || n == "setresuid" || n == "setfsuid" || n == "setuid32" ||
         n == "setreuid32" || n == "setresuid32" || n == "setfsuid32";
}
}  // namespace

bool LiveWatcher::wants(Arch arch, std::string_view name) {
  asked_.insert(std::string(name));
  bool w = wants_now(arch, name);
  if (w) observed_.insert(std::string(name));
  return w;
}

void LiveWatcher::maybe_reload() {
  if (!reload_.exchange(false, std::memory_order_acq_rel) || !loader_) return;
  auto r = loader_();
  if (!r.ok()) {
    note_("SIGHUP: rules not reloaded (the old ones stay): " + r.error().message());
    return;
  }
  owned_rules_ = std::move(*r);
  rules_ = owned_rules_.get();
  std::string missed;
  for (const auto& n : asked_)
    if (!observed_.count(n) && rules_->interested(n)) missed += (missed.empty() ? "" : ", ") + n;
  if (rules_->interested_in_all() && asked_.size() > observed_.size()) missed = "every syscall";
  note_("SIGHUP: rules reloaded (" + std::to_string(rules_->rules().size()) + " rules)" +
        (missed.empty() ? std::string()
                        : "; not observed until the command is restarted (the supervisor hands over only the "
                          "syscalls the first rules needed): " +
                              missed));
}

bool LiveWatcher::wants_now(Arch arch, std::string_view name) {
  if (capture_) return true;  // --save-events: the whole stream (the benchmark's mix)
  if (changes_ids(name)) return true;
  if (rules_ && rules_->interested(name)) return true;
  if (base_) {
    if (name == "execve" || name == "execveat") return true;
    auto it = base_->syscalls.find(arch);
    if (it == base_->syscalls.end() || !it->second.count(std::string(name))) return true;
  }
  return false;
}

void LiveWatcher::on_call(const record::ObservedCall& c) {
  ++stats_.observed;
  maybe_reload();
  procs_.trim();  // between events only: pointers into the table stay valid during one
  ev_.reset();
  pending_ = true;
  partial_ = false;
  ev_.ts_ns = now_ns();
  ev_.arch = c.arch;
  ev_.nr = c.nr;
  ev_.type = c.name;
  for (int i = 0; i < 6; ++i) ev_.raw[i] = c.args[i];
  ev_.tid = c.tid;
  const record::Decoded& d = *c.decoded;
  bool is_exec = c.name == "execve" || c.name == "execveat";
  pid_t pid = procs_.tgid_of(c.tid);
  ProcInfo* p = procs_.get(pid);
  if (is_exec) {
    // Falco evaluates execve on its return, with the new program: build that process now
    // (argv from the task's memory), keep the old one's parent, user and container.
    ProcInfo n;
    n.pid = pid;
    if (p)
      n.ppid = p->ppid, n.has_uid = p->has_uid, n.uid = p->uid, n.user = p->user,
      n.container_id = p->container_id;
    procs_.read_uid(pid, &n);  // now: a setuid program's parent may have switched users before exec
    n.exepath = d.exec;
    if (n.exepath.empty()) partial_ = true;
    n.comm = comm_of_path(n.exepath);
    uint64_t argv_ptr = c.name == "execve" ? c.args[1] : c.args[2];
    if (argv_ptr) {
      n.has_argv = true;
      size_t total = 0;
      for (size_t i = 0; i < 256; ++i) {
        auto b = c.mem->read_bytes(argv_ptr + 8 * i, 8);
        if (!b) {
          partial_ = true;
          break;
        }
        uint64_t a;
        std::memcpy(&a, b->data(), 8);
        if (!a) break;
        auto s = c.mem->read_string(a, 4096);
        if (!s) {
          partial_ = true;
          break;
        }
        total += s->size();
        n.argv.push_back(std::move(*s));
        if (total > 32768) break;
      }
    }
    n.finish();
    p = &procs_.put(std::move(n));
  }
  ev_.proc = p;
  if (!p) partial_ = true;
  stale_pid_ = changes_ids(c.name) ? pid : 0;
  // The file or socket.
  if (!d.files.empty()) {
    ev_.has_fd = true;
    ev_.fd_name = d.files.front().first;
    ev_.fd_type = FdType::File;
    if (ev_.fd_name.starts_with("/memfd:")) ev_.fd_type = FdType::Memfd;
    if (is_open_call(c.name)) {
      uint8_t a = d.files.front().second;
      ev_.is_open = true;
      ev_.open_read = a & behavior::kRead;
      ev_.open_write = (a & (behavior::kWrite | behavior::kCreate)) != 0;
    }
  } else if (!d.connect.empty() || !d.bind.empty()) {
    ev_.has_fd = true;
    ev_.fd_name = d.connect.empty() ? d.bind : d.connect;
    ev_.fd_type = ev_.fd_name.starts_with("unix:") ? FdType::Unix
                  : ev_.fd_name[0] == '['          ? FdType::Ipv6
                                                   : FdType::Ipv4;
  } else if (is_open_call(c.name)) {
    partial_ = true;  // a path that could not be read
  }
  // Named arguments.
  if (const SysArgs* sa = sys_args(c.name)) {
    size_t path_i = 0;
    for (int i = 0; i < 6 && !sa->args[i].name.empty(); ++i) {
      Arg a;
      a.name = sa->args[i].name;
      a.raw = c.args[i];
      a.has_raw = true;
      switch (sa->args[i].kind) {
        case AK::Num: a.text = std::to_string(static_cast<int64_t>(c.args[i])); break;
        case AK::Fd: {
          int fd = static_cast<int>(c.args[i]);
          a.text = fd == -100 ? "AT_FDCWD" : std::to_string(fd);
          break;
        }
        case AK::Hex: {
          char b[24];
          std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(c.args[i]));
          a.text = b;
          break;
        }
        case AK::Path:
          if (c.name == "execve" || c.name == "execveat")
            a.text = d.exec;
          else if (path_i < d.files.size())
            a.text = d.files[path_i].first;
          ++path_i;
          break;
        case AK::Str:
          if (a.name == "addr") {
            a.text = d.connect.empty() ? d.bind : d.connect;
          } else if (c.args[i]) {
            auto s = c.mem->read_string(c.args[i], 4096);
            if (s)
              a.text = std::move(*s);
            else
              partial_ = true;
          }
          break;
        case AK::Family: {
          auto f = family_name(c.args[i] & 0xffff);
          a.text = f.empty() ? std::to_string(c.args[i] & 0xffff) : std::string(f);
          break;
        }
        case AK::Ptrace: {
          auto f = ptrace_name(c.args[i] & 0xffffffffu);
          a.text = f.empty() ? std::to_string(c.args[i] & 0xffffffffu) : std::string(f);
          break;
        }
      }
      ev_.args.push_back(std::move(a));
    }
  }
}

void LiveWatcher::settle(bool valid) {
  if (!pending_) return;
  pending_ = false;
  struct Forget {
    ProcTable& t;
    pid_t pid;
    ~Forget() {
      if (pid) t.erase(pid);
    }
  } forget{procs_, stale_pid_};
  if (!valid) {
    ++stats_.dropped;
    return;
  }
  if (partial_) ++stats_.partial;
  ++stats_.evaluated;
  if (capture_) capture_(ev_);
  if (rules_) {
    rules_->match(ev_, [&](const Rule& r) {
      ++stats_.alerts;
      emit_(json_ ? format_alert_json(r, ev_, hostname_) : format_alert_text(r, ev_));
    });
  }
  if (base_) {
    std::string what;
    bool is_exec = ev_.type == "execve" || ev_.type == "execveat";
    auto it = base_->syscalls.find(ev_.arch);
    std::string name = ev_.type.empty() ? "nr " + std::to_string(ev_.nr) : std::string(ev_.type);
    if (it == base_->syscalls.end() || !it->second.count(name))
      what = "syscall " + name + " (" +
             std::string(ev_.arch == Arch::X86   ? "i386"
                         : ev_.arch == Arch::X32 ? "x32"
                                                 : "x86_64") +
             ")";
    else if (is_exec && ev_.proc && !ev_.proc->exepath.empty() && !base_->execs.count(ev_.proc->exepath))
      what = "program " + ev_.proc->exepath;
    if (!what.empty() && deviations_seen_.insert(what).second) {
      ++stats_.deviations;
      ++stats_.alerts;
      auto out = compile_output("Deviation from the recorded profile (" + what + " not in " + base_->file +
                                    ") proc=%proc.name cmdline=%proc.cmdline pid=%proc.pid file=%fd.name",
                                nullptr);
      if (out.ok()) {
        deviation_rule_.out = std::move(*out);
        emit_(json_ ? format_alert_json(deviation_rule_, ev_, hostname_)
                    : format_alert_text(deviation_rule_, ev_));
      }
    }
  }
}

std::string event_to_json(const Event& e) {
  using json::Value;
  Value o = Value::make_object();
  o.add("type", Value::make_string(std::string(e.type)));
  o.add("arch", Value::make_u64(static_cast<uint64_t>(e.arch)));
  o.add("nr", Value::make_i64(e.nr));
  o.add("tid", Value::make_i64(e.tid));
  if (e.has_fd) {
    o.add("fd", Value::make_string(e.fd_name));
    o.add("fdtype", Value::make_string(std::string(1, static_cast<char>(e.fd_type))));
  }
  if (e.is_open) o.add("open", Value::make_u64((e.open_read ? 1 : 0) | (e.open_write ? 2 : 0)));
  Value args = Value::make_array();
  for (const auto& a : e.args) {
    Value x = Value::make_array();
    x.push(Value::make_string(std::string(a.name)));
    x.push(Value::make_string(a.text));
    x.push(Value::make_u64(a.raw));
    args.push(std::move(x));
  }
  o.add("args", std::move(args));
  auto proc = [](const ProcInfo& p) {
    Value x = Value::make_object();
    x.add("pid", Value::make_i64(p.pid));
    x.add("ppid", Value::make_i64(p.ppid));
    x.add("comm", Value::make_string(p.comm));
    x.add("exe", Value::make_string(p.exepath));
    Value av = Value::make_array();
    for (const auto& s : p.argv) av.push(Value::make_string(s));
    x.add("argv", std::move(av));
    if (p.has_uid) x.add("uid", Value::make_u64(p.uid));
    x.add("user", Value::make_string(p.user));
    x.add("container", Value::make_string(p.container_id));
    return x;
  };
  Value procs = Value::make_array();
  const ProcInfo* p = e.proc;
  for (int i = 0; p && i < 4; ++i) {
    procs.push(proc(*p));
    p = e.procs && p->ppid > 0 ? e.procs->find(p->ppid) : nullptr;
  }
  o.add("procs", std::move(procs));
  json::WriteOptions w;
  w.indent = 0;
  return json::write(o, w);
}

Status event_from_json(std::string_view line, Event* e, MemProcTable* procs) {
  CONFINE_TRY(json::Value v, json::parse(line, "events"));
  e->reset();
  static std::set<std::string, std::less<>> names;  // evt.type needs stable storage
  auto str = [&](const char* k) -> std::string {
    const json::Value* x = v.find(k);
    return x && x->is(json::Type::String) ? x->text : std::string();
  };
  std::string t = str("type");
  if (!t.empty()) e->type = *names.insert(t).first;
  if (auto* a = v.find("arch")) e->arch = static_cast<Arch>(a->as_u64().value_or(0));
  if (auto* n = v.find("nr")) e->nr = static_cast<int32_t>(n->as_i64().value_or(-1));
  if (auto* n = v.find("tid")) e->tid = static_cast<pid_t>(n->as_i64().value_or(0));
  if (v.find("fd")) {
    e->has_fd = true;
    e->fd_name = str("fd");
    std::string ft = str("fdtype");
    e->fd_type = ft.empty() ? FdType::File : static_cast<FdType>(ft[0]);
  }
  if (auto* o = v.find("open")) {
    e->is_open = true;
    uint64_t b = o->as_u64().value_or(0);
    e->open_read = b & 1, e->open_write = b & 2;
  }
  if (auto* args = v.find("args"))
    for (const auto& x : args->items) {
      if (x.items.size() != 3) continue;
      Arg a;
      a.name = *names.insert(x.items[0].text).first;
      a.text = x.items[1].text;
      a.raw = x.items[2].as_u64().value_or(0);
      a.has_raw = true;
      e->args.push_back(std::move(a));
    }
  pid_t first = 0;
  if (auto* ps = v.find("procs"))
    for (const auto& x : ps->items) {
      ProcInfo p;
      p.pid = static_cast<pid_t>(x.find("pid") ? x.find("pid")->as_i64().value_or(0) : 0);
      p.ppid = static_cast<pid_t>(x.find("ppid") ? x.find("ppid")->as_i64().value_or(0) : 0);
      if (auto* c = x.find("comm")) p.comm = c->text;
      if (auto* c = x.find("exe")) p.exepath = c->text;
      if (auto* c = x.find("argv")) {
        p.has_argv = true;
        for (const auto& s : c->items) p.argv.push_back(s.text);
      }
      if (auto* c = x.find("uid")) p.has_uid = true, p.uid = static_cast<uint32_t>(c->as_u64().value_or(0));
      if (auto* c = x.find("user")) p.user = c->text;
      if (auto* c = x.find("container")) p.container_id = c->text;
      p.finish();
      if (!first) first = p.pid;
      procs->procs[p.pid] = std::move(p);
    }
  e->proc = first ? procs->find(first) : nullptr;
  e->procs = procs;
  return ok();
}

}  // namespace confine::watch
