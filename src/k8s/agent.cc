#include "k8s/agent.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "apparmor/apparmor.h"
#include "core/file.h"
#include "k8s/bundle.h"
#include "k8s/runtime.h"
#include "k8s/sha256.h"
#include "k8s/snapshot.h"
#include "seccomp/profile.h"

namespace confine::k8s {

namespace {
using json::Value;

std::string q(const std::string& s) { return json::quote(s); }
Value str(const std::string& s) { return Value::make_string(s); }

constexpr size_t kInstallThreads = 8;

// mkdir -p, refusing a symlink at any component we create or walk through below `base`.
Status make_dirs(const std::string& path, mode_t mode) {
  std::string cur;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    cur = path.substr(0, j);
    i = j + 1;
    if (cur.empty()) continue;
    if (mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return Error::sys("mkdir(" + q(cur) + ")", errno);
    struct stat st {};
    if (stat(cur.c_str(), &st) != 0) return Error::sys("stat(" + q(cur) + ")", errno);
    if (!S_ISDIR(st.st_mode)) return Error(cur + ": not a directory");
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return Error::sys("lstat(" + q(path) + ")", errno);
  if (S_ISLNK(st.st_mode)) return Error(path + ": is a symbolic link; refusing to install through it");
  return ok();
}

bool installed_name(const std::string& n) {  // NAME-H.json
  if (n.size() < 19 || n.compare(n.size() - 5, 5, ".json") != 0) return false;
  std::string base = n.substr(0, n.size() - 5);
  if (base.size() < 14 || base[base.size() - 13] != '-') return false;
  return valid_profile_name(base.substr(0, base.size() - 13)) && is_hex(base.substr(base.size() - 12), 12);
}

std::string now_rfc3339() {
  time_t t = time(nullptr);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char b[32];
  strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

std::string find_parser(const AgentOptions& o) {
  return o.apparmor_parser.empty() ? find_program("apparmor_parser", "/usr/sbin:/sbin") : o.apparmor_parser;
}

// Runs argv, returns exit status and (bounded) combined output.
// stderr_too false: standard error goes to /dev/null (stdout is parsed).
std::pair<int, std::string> run(const std::vector<std::string>& argv, bool stderr_too = true) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return {-1, "pipe: " + Error::sys("pipe2", errno).message()};
  pid_t pid = fork();
  if (pid < 0) return {-1, Error::sys("fork", errno).message()};
  if (pid == 0) {
    dup2(p[1], 1);
    int devnull = open("/dev/null", O_RDWR);
    dup2(stderr_too || devnull < 0 ? p[1] : devnull, 2);
    if (devnull >= 0) dup2(devnull, 0);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  close(p[1]);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out.size() < 8192) out.append(buf, static_cast<size_t>(n));
  }
  close(p[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return {WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), out};
}

struct Part {
  std::string mount;
  std::optional<Snapshot> snap;
  std::optional<Manifest> manifest;
  std::string error;
};

struct Checked {
  const ProfileEntry* e = nullptr;
  const Snapshot* snap = nullptr;
  std::string seccomp, apparmor;  // contents
  std::string error;
  std::string seccomp_state = "invalid", seccomp_detail;
  std::string apparmor_state, apparmor_detail;
};

std::string check_profile(Checked& c) {
  const ProfileEntry& e = *c.e;
  std::map<std::string, std::string> content;
  for (const auto* f : {&e.seccomp, &e.apparmor, &e.behavior}) {
    if (!*f) continue;
    const SnapshotFile* sf = c.snap->find((*f)->file);
    if (!sf) return (*f)->file + ": listed in bundle.json but not in the ConfigMap";
    if (!sf->error.empty()) return (*f)->file + ": " + sf->error;
    std::string h = sha256_hex(sf->content);
    if (h != (*f)->sha256)
      return (*f)->file + ": sha256 " + h + " is not the manifest's " + (*f)->sha256 + ": never installed";
    content[(*f)->file] = sf->content;
  }
  c.seccomp = content[e.seccomp->file];
  std::string aa_norm;
  const std::string* behavior = e.behavior ? &content[e.behavior->file] : nullptr;
  if (e.apparmor) {
    c.apparmor = content[e.apparmor->file];
    aa_norm = normalise_apparmor(c.apparmor, e.hash);
  }
  std::string h = profile_hash(e.mode, c.seccomp, e.apparmor ? &aa_norm : nullptr, behavior);
  if (h != e.hash)
    return "content hash " + h + " differs from the hash in its name (" + e.hash + "): never installed";
  std::vector<seccomp::Warning> warns;
  auto p = seccomp::parse_profile_text(c.seccomp, e.seccomp->file, &warns);
  if (!p.ok()) return p.error().message();
  if (std::string why = oci_form_problem(c.seccomp); !why.empty()) return e.seccomp->file + ": " + why;
  bool log_default = p->default_action == seccomp::ActionKind::Log;
  if (e.mode == "complain" && !log_default)
    return e.seccomp->file + ": mode complain needs defaultAction SCMP_ACT_LOG";
  if (e.mode == "enforce" && log_default)
    return e.seccomp->file + ": mode enforce, but defaultAction is SCMP_ACT_LOG (complain)";
  if (e.apparmor) {
    auto f = apparmor::parse(c.apparmor, e.apparmor->file);
    if (!f.ok()) return f.error().message();
    auto names = apparmor::profile_names(*f);
    bool has = false;
    for (const auto& n : names) {
      if (n == e.apparmor_profile) {
        has = true;
        continue;
      }
      if (n.rfind(e.apparmor_profile + "//", 0) == 0) continue;
      return e.apparmor->file + ": defines profile " + q(n) + "; the bundle says it defines only " +
             q(e.apparmor_profile);
    }
    if (!has) return e.apparmor->file + ": does not define profile " + q(e.apparmor_profile);
    for (const auto& pr : apparmor::profiles(*f)) {
      bool complain = std::find(pr->flags.begin(), pr->flags.end(), "complain") != pr->flags.end();
      if (complain != (e.mode == "complain"))
        return e.apparmor->file + ": mode " + e.mode + (complain ? " but" : " needs") + " flags=(complain)";
    }
  }
  if (e.behavior) {
    auto b = json::parse(*behavior, e.behavior->file);
    if (!b.ok()) return b.error().message();
  }
  return "";
}

Value entry_json(const Checked& c) {
  Value o = Value::make_object();
  o.add("name", str(c.e->name));
  o.add("hash", str(c.e->hash));
  o.add("mode", str(c.e->mode));
  Value s = Value::make_object();
  s.add("state", str(c.seccomp_state));
  if (c.e->seccomp) {
    s.add("file", str(c.e->seccomp->file));
    s.add("sha256", str(c.e->seccomp->sha256));
  }
  if (!c.seccomp_detail.empty()) s.add("detail", str(c.seccomp_detail));
  o.add("seccomp", std::move(s));
  if (c.e->apparmor) {
    Value a = Value::make_object();
    a.add("state", str(c.apparmor_state));
    a.add("profile", str(c.e->apparmor_profile));
    if (!c.apparmor_detail.empty()) a.add("detail", str(c.apparmor_detail));
    o.add("apparmor", std::move(a));
  }
  if (!c.error.empty()) o.add("error", str(c.error));
  return o;
}

Result<std::string> read_installed(const std::string& path) { return file::read_file(path, 4u << 20); }

}  // namespace

std::map<std::string, std::string> kernel_profiles(const std::string& aafs) {
  auto t = file::read_file(aafs + "/profiles", 64u << 20);
  return t.ok() ? parse_profiles_list(*t) : std::map<std::string, std::string>{};
}

namespace {
// The processes now confined by `profile` (or one of its children), from /proc/PID/attr:
// "confine-web-H (enforce)", "confine-web-H//hat (complain)".
std::vector<std::string> processes_in_profile(const std::string& profile) {
  std::vector<std::string> out;
  for (const auto& n : list_dir("/proc")) {
    if (n.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string label;
    for (const char* a : {"/attr/apparmor/current", "/attr/current"}) {
      int fd = open(("/proc/" + n + a).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      char buf[512];
      ssize_t r = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (r > 0) {
        label.assign(buf, static_cast<size_t>(r));
        break;
      }
    }
    if (label.rfind(profile + " (", 0) == 0 || label.rfind(profile + "//", 0) == 0) out.push_back(n);
  }
  return out;
}

// The profile names a file defines, as the host's apparmor_parser reads them (-N).
// Only its standard output is names (warnings such as "Cache read/write disabled" go to standard
// error); on failure, the message is taken from a second run with standard error.
std::pair<int, std::string> parser_names(const std::string& parser, const std::string& file) {
  auto r = run({parser, "-N", file}, false);
  if (r.first != 0) r = run({parser, "-N", file});
  return r;
}
}  // namespace

void mutation_step(const char* what) {
  static std::atomic<long> n{0};
  static const long stop = [] {
    const char* e = getenv("CONFINE_K8S_AGENT_STOP_AT");
    return e ? atol(e) : 0L;
  }();
  if (++n == stop && stop > 0) {
    (void)what;
    raise(SIGKILL);
  }
}

static CollectOptions collect_options(const AgentOptions& o, const std::string& sdir) {
  CollectOptions co;
  co.state_dir = sdir;
  co.kmsg = o.kmsg;
  co.runtime_roots = o.runtime_roots;
  co.max_bytes = o.collect_max;
  return co;
}

std::string install_dir(const std::string& kr) { return kr + "/seccomp/confine"; }
std::string default_state_dir(const std::string& kr) { return kr + "/confine-agent"; }

std::string host_apparmor(const AgentOptions& o) {
  std::string why;
  if (auto t = file::read_file(o.apparmor_enabled, 64); t.ok() && !t->empty() && (*t)[0] == 'Y')
    why = o.apparmor_enabled + " = Y";
  struct stat st {};
  if (stat(o.apparmor_fs.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
      access((o.apparmor_fs + "/profiles").c_str(), F_OK) == 0)
    why += std::string(why.empty() ? "" : ", ") + o.apparmor_fs + " mounted";
  return why;
}

Result<ApplyResult> apply(const AgentOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  std::string idir = install_dir(o.kubelet_root);
  std::string sdir = o.state.empty() ? default_state_dir(o.kubelet_root) : o.state;
  CONFINE_CHECK(make_dirs(idir, 0755));
  CONFINE_CHECK(make_dirs(sdir, 0700));

  // A temp file of an interrupted install (".NAME.confine-XXXX", mode 0600) is never a
  // name a pod references; remove it.
  for (const auto& n : list_dir(idir))
    if (n[0] == '.' && n.find(".confine-") != std::string::npos)
      unlinkat(AT_FDCWD, (idir + "/" + n).c_str(), 0);

  // 1-2. Parts.
  std::vector<Part> parts;
  std::vector<std::string> errors;
  if (is_configmap_volume(o.profiles)) {
    parts.push_back({o.profiles, {}, {}, {}});
  } else {
    struct stat st {};
    if (stat(o.profiles.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      errors.push_back(o.profiles + ": " + Error::sys("stat", errno).message());
    for (const auto& n : list_dir(o.profiles))
      if (n[0] != '.' && is_configmap_volume(o.profiles + "/" + n))
        parts.push_back({o.profiles + "/" + n, {}, {}, {}});
    if (parts.empty() && errors.empty())
      errors.push_back(o.profiles +
                       ": no ConfigMap volume (a directory holding ..data) here or one level below");
  }
  for (auto& p : parts) {
    auto s = read_snapshot(p.mount);
    if (!s.ok()) {
      p.error = s.error().message();
      continue;
    }
    p.snap = std::move(*s);
    const SnapshotFile* mf = p.snap->find(std::string(kManifestName));
    if (!mf) {
      p.error = p.mount + ": no " + std::string(kManifestName);
      continue;
    }
    if (!mf->error.empty()) {
      p.error = p.mount + "/" + std::string(kManifestName) + ": " + mf->error;
      continue;
    }
    auto m = parse_manifest(mf->content, p.mount + "/" + std::string(kManifestName));
    if (!m.ok()) {
      p.error = m.error().message();
      continue;
    }
    p.manifest = std::move(*m);
  }
  std::string bundle;
  unsigned nparts = 0;
  std::set<unsigned> seen;
  for (const auto& p : parts) {
    if (!p.error.empty()) {
      errors.push_back(p.error);
      continue;
    }
    const Manifest& m = *p.manifest;
    if (bundle.empty()) {
      bundle = m.bundle;
      nparts = m.parts;
    }
    if (m.bundle != bundle || m.parts != nparts)
      errors.push_back(p.mount + ": part of bundle " + m.bundle + " (" + std::to_string(m.parts) +
                       " parts), the others are of " + bundle + " (" + std::to_string(nparts) +
                       " parts): the kubelet has not updated every volume yet");
    else if (!seen.insert(m.part).second)
      errors.push_back(p.mount + ": part " + std::to_string(m.part) + " is mounted twice");
  }
  bool complete = errors.empty() && nparts > 0 && seen.size() == nparts;
  if (errors.empty() && nparts > 0 && seen.size() != nparts)
    errors.push_back("bundle " + bundle + ": " + std::to_string(seen.size()) + " of " +
                     std::to_string(nparts) + " parts mounted");

  // 3. Validate.
  std::vector<Checked> checked;
  std::vector<const ProfileEntry*> all;
  std::set<std::string> names;
  Value rejected = Value::make_array();
  for (const auto& p : parts) {
    if (!p.manifest) continue;
    std::set<std::string> listed = {std::string(kManifestName)};
    for (const auto& e : p.manifest->profiles) {
      all.push_back(&e);
      Checked c;
      c.e = &e;
      c.snap = &*p.snap;
      for (const auto* f : {&e.seccomp, &e.apparmor, &e.behavior})
        if (*f) listed.insert((*f)->file);
      if (!e.error.empty())
        c.error = e.error;
      else if (!names.insert(e.name).second)
        c.error = "profile " + q(e.name) + " is in two parts";
      else
        c.error = check_profile(c);
      checked.push_back(std::move(c));
    }
    for (const auto& f : p.snap->files)
      if (!listed.count(f.name)) {
        Value r = Value::make_object();
        r.add("file", str(p.mount + "/" + f.name));
        r.add("error", str(f.error.empty() ? "not listed in bundle.json: ignored"
                                           : f.error + "; not listed in bundle.json"));
        rejected.push(std::move(r));
      }
  }
  if (complete && bundle_hash(all) != bundle) {
    errors.push_back("bundle hash " + bundle_hash(all) + " of the listed profiles is not the manifest's " +
                     bundle);
    complete = false;
  }

  // 4. Install.
  std::string aa_host = host_apparmor(o);
  std::string parser = o.apparmor ? find_parser(o) : "";
  std::map<std::string, std::string> kernel_aa;
  if (o.apparmor && !aa_host.empty()) kernel_aa = kernel_profiles(o.apparmor_fs);
  std::set<std::string> wanted;
  bool all_installed = true, aa_all_loaded = true, any_aa = false;
  std::vector<Checked*> to_write;
  for (auto& c : checked) {
    if (!c.error.empty()) {
      c.seccomp_state = "invalid";
      c.apparmor_state = "invalid";
      all_installed = false;
      continue;
    }
    const std::string& fn = c.e->seccomp->file;
    wanted.insert(fn);
    std::string path = idir + "/" + fn;
    auto cur = read_installed(path);
    if (cur.ok() && *cur == c.seccomp)
      c.seccomp_state = "installed";
    else
      to_write.push_back(&c);
  }
  // Written by a few threads: each file is fsync'd before its rename (a crash never leaves a
  // short file under the name), and concurrent fsyncs share the file system's journal commits.
  if (!to_write.empty()) {
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i; (i = next.fetch_add(1)) < to_write.size();) {
        Checked& c = *to_write[i];
        std::string path = idir + "/" + c.e->seccomp->file;
        mutation_step(path.c_str());
        file::WriteOptions wo;
        wo.new_mode = 0644;
        wo.sync_dir = false;  // one fsync of the directory after the batch (below)
        if (auto s = file::write_file_atomic(path, c.seccomp, wo); !s.ok()) {
          c.seccomp_state = "failed";
          c.seccomp_detail = s.error().message();
        } else {
          c.seccomp_state = "installed";
        }
      }
    };
    std::vector<std::thread> pool;
    size_t nthreads = std::min<size_t>(kInstallThreads, to_write.size());
    for (size_t k = 1; k < nthreads; ++k) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    for (const auto* c : to_write)
      if (c->seccomp_state != "installed") all_installed = false;
    // The renames are durable before anything (status, readiness) says they are there.
    if (auto s = file::sync_dir(idir); !s.ok()) return std::move(s).error();
  }
  for (auto& c : checked) {
    if (!c.error.empty()) continue;
    if (!c.e->apparmor) continue;
    any_aa = true;
    if (!o.apparmor) {
      c.apparmor_state = "not-requested";
      c.apparmor_detail = "the agent runs without --apparmor";
      aa_all_loaded = false;
    } else if (aa_host.empty()) {
      c.apparmor_state = "unsupported";
      c.apparmor_detail = "this host's kernel has no AppArmor (" + o.apparmor_enabled + " not Y, " +
                          o.apparmor_fs + " absent)";
      aa_all_loaded = false;
    } else if (parser.empty()) {
      c.apparmor_state = "failed";
      c.apparmor_detail = "apparmor_parser not found (PATH, /usr/sbin, /sbin)";
      aa_all_loaded = false;
      all_installed = false;
    } else {
      // Names are content-addressed: the name loaded in the mode the bundle says, from the file
      // this agent loaded, is this content. Nothing to do (no parser run on every pass).
      const std::string want_mode = c.e->mode == "complain" ? "complain" : "enforce";
      std::string ap = sdir + "/apparmor/" + c.e->apparmor->file;
      auto k = kernel_aa.find(c.e->apparmor_profile);
      if (k != kernel_aa.end() && k->second == want_mode)
        if (auto saved = read_installed(ap); saved.ok() && *saved == c.apparmor) {
          c.apparmor_state = "loaded";
          c.apparmor_detail = "in the kernel (" + k->second + ")";
          continue;
        }
      Status w = make_dirs(sdir + "/apparmor", 0700);
      if (w.ok()) {
        mutation_step(ap.c_str());
        file::WriteOptions wo;
        wo.new_mode = 0600;
        w = file::write_file_atomic(ap, c.apparmor, wo);
      }
      auto fail = [&](std::string state, std::string detail) {
        c.apparmor_state = std::move(state);
        c.apparmor_detail = std::move(detail);
        aa_all_loaded = false;
        all_installed = false;
      };
      if (!w.ok()) {
        fail("failed", w.error().message());
        continue;
      }
      // The host's parser must agree on the names too (it is what loads them).
      auto [nrc, nout] = parser_names(parser, ap);
      if (nrc != 0) {
        fail("failed", parser + " -N " + ap + ": exit " + std::to_string(nrc) + ": " + nout);
        unlink(ap.c_str());
        continue;
      }
      std::string other;
      for (size_t i = 0; i <= nout.size();) {
        size_t j = nout.find('\n', i);
        if (j == std::string::npos) j = nout.size();
        std::string n = nout.substr(i, j - i);
        i = j + 1;
        if (!n.empty() && n != c.e->apparmor_profile && n.rfind(c.e->apparmor_profile + "//", 0) != 0)
          other = n;
      }
      if (!other.empty()) {
        fail("refused", parser + " -N: " + c.e->apparmor->file + " defines profile " + q(other) +
                            "; the bundle says it defines only " + q(c.e->apparmor_profile));
        unlink(ap.c_str());
        continue;
      }
      auto [rc, out] = run({parser, "-r", ap});
      if (rc != 0) {
        // Reported, not retried in a loop: the next pass (a change or --interval) tries again.
        fail("failed", parser + " -r " + ap + ": exit " + std::to_string(rc) + ": " + out);
        unlink(ap.c_str());
        continue;
      }
      kernel_aa = kernel_profiles(o.apparmor_fs);
      k = kernel_aa.find(c.e->apparmor_profile);
      if (k == kernel_aa.end() || k->second != want_mode) {
        fail("failed", parser + " -r " + ap + " exited 0, but " + o.apparmor_fs + "/profiles lists " +
                           (k == kernel_aa.end() ? "no " + q(c.e->apparmor_profile)
                                                 : q(c.e->apparmor_profile) + " in mode " + k->second) +
                           " (" + want_mode + " expected)");
        continue;
      }
      c.apparmor_state = "loaded";
      c.apparmor_detail = "loaded into the kernel (" + k->second + ")";
    }
  }

  // 5. Remove what the complete bundle no longer lists and nothing uses (for --grace seconds).
  std::map<std::string, uint64_t> unused_since;  // from the previous pass's status
  if (auto prev = file::read_file(sdir + "/" + kStatusFile, 64u << 20); prev.ok())
    if (auto d = json::parse(*prev, kStatusFile); d.ok())
      if (const Value* ps = d->find("stale"); ps && ps->is(json::Type::Array))
        for (const auto& e : ps->items) {
          const Value* f = e.find("file");
          const Value* t = e.find("unused_since");
          if (f && f->is(json::Type::String) && t && t->as_u64()) unused_since[f->text] = *t->as_u64();
        }
  if (auto prev = file::read_file(sdir + "/" + kStatusFile, 64u << 20); prev.ok())
    if (auto d = json::parse(*prev, kStatusFile); d.ok())
      if (const Value* ps = d->find("apparmor_stale"); ps && ps->is(json::Type::Array))
        for (const auto& e : ps->items) {
          const Value* f = e.find("profile");
          const Value* t = e.find("unused_since");
          if (f && f->is(json::Type::String) && t && t->as_u64())
            unused_since["apparmor:" + f->text] = *t->as_u64();
        }
  const uint64_t now = static_cast<uint64_t>(time(nullptr));
  Value stale = Value::make_array();
  std::optional<RuntimeScan> scan;
  for (const auto& n : list_dir(idir)) {
    if (!installed_name(n) || wanted.count(n)) continue;
    std::string path = idir + "/" + n;
    Value s = Value::make_object();
    s.add("file", str(n));
    if (!complete) {
      s.add("state", str("kept"));
      s.add("reason", str("the bundle is not complete: nothing is removed"));
      stale.push(std::move(s));
      continue;
    }
    if (!scan) scan = scan_runtime(o.runtime_roots);
    auto text = read_installed(path);
    Use u = profile_use(*scan, path, "confine/" + n, text.ok() ? canonical_seccomp(*text) : "");
    if (!u.containers.empty()) {
      s.add("state", str("in-use"));
      Value cs = Value::make_array();
      for (const auto& c : u.containers) cs.push(str(c));
      s.add("containers", std::move(cs));
    } else if (!u.doubt.empty()) {
      s.add("state", str("kept"));
      s.add("reason", str(u.doubt));
    } else if (uint64_t since = unused_since.count(n) ? std::min(unused_since[n], now) : now;
               now - since < o.grace_s) {
      s.add("state", str("kept"));
      s.add("reason", str("unused since " + std::to_string(since) + " (epoch); removed once unused for " +
                          std::to_string(o.grace_s) + " s (--grace)"));
      s.add("unused_since", Value::make_u64(since));
    } else {
      mutation_step(path.c_str());
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        s.add("state", str("kept"));
        s.add("reason", str(Error::sys("unlink(" + q(path) + ")", errno).message()));
      } else {
        int dfd = open(idir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
          (void)fsync(dfd);
          close(dfd);
        }
        s.add("state", str("removed"));
      }
    }
    stale.push(std::move(s));
  }

  // 5b. AppArmor profiles this agent loaded (their text is in STATE/apparmor) that the complete
  // bundle no longer lists: removed (apparmor_parser -R) once no process is confined by them
  // (/proc/PID/attr: the DaemonSet runs with hostPID) and no container is created with them
  // (runtime state), for --grace seconds. Profiles it did not load are never touched.
  Value aa_stale = Value::make_array();
  std::set<std::string> aa_wanted;
  for (const auto* e : all)
    if (e->apparmor) aa_wanted.insert(e->apparmor->file);
  for (const auto& n : list_dir(sdir + "/apparmor")) {
    if (n.size() < 10 || n.compare(n.size() - 9, 9, ".apparmor") != 0 || aa_wanted.count(n)) continue;
    if (!installed_name(n.substr(0, n.size() - 9) + ".json")) continue;
    std::string prof = "confine-" + n.substr(0, n.size() - 9);
    std::string ap = sdir + "/apparmor/" + n;
    Value s = Value::make_object();
    s.add("profile", str(prof));
    if (!o.apparmor || aa_host.empty() || parser.empty()) {
      s.add("state", str("kept"));
      s.add("reason",
            str("AppArmor is not managed in this pass (--apparmor, host AppArmor, apparmor_parser)"));
    } else if (!kernel_aa.count(prof)) {
      mutation_step(ap.c_str());
      unlink(ap.c_str());
      s.add("state", str("removed"));
      s.add("reason", str("no longer loaded in the kernel"));
    } else if (!complete) {
      s.add("state", str("kept"));
      s.add("reason", str("the bundle is not complete: nothing is removed"));
    } else {
      if (!scan) scan = scan_runtime(o.runtime_roots);
      std::vector<std::string> users;
      std::string doubt;
      for (const auto& c : scan->containers) {
        if (c.apparmor_profile == prof) users.push_back(c.root + "/" + c.id);
        if (!c.doubt.empty() && doubt.empty())
          doubt = "cannot tell what " + c.root + "/" + c.id + " uses (" + c.doubt + ")";
      }
      if (scan->roots_found.empty())
        doubt = "no container runtime state found (a created container is not a process yet)";
      for (const auto& p : processes_in_profile(prof)) users.push_back("pid " + p);
      uint64_t since =
          unused_since.count("apparmor:" + prof) ? std::min(unused_since["apparmor:" + prof], now) : now;
      if (!users.empty()) {
        s.add("state", str("in-use"));
        Value us = Value::make_array();
        for (const auto& u : users) us.push(str(u));
        s.add("users", std::move(us));
      } else if (!doubt.empty()) {
        s.add("state", str("kept"));
        s.add("reason", str(doubt));
      } else if (now - since < o.grace_s) {
        s.add("state", str("kept"));
        s.add("reason", str("unused since " + std::to_string(since) + " (epoch); removed once unused for " +
                            std::to_string(o.grace_s) + " s (--grace)"));
        s.add("unused_since", Value::make_u64(since));
      } else {
        mutation_step(ap.c_str());
        auto [rc, out] = run({parser, "-R", ap});
        if (rc != 0) {
          s.add("state", str("kept"));
          s.add("reason", str(parser + " -R " + ap + ": exit " + std::to_string(rc) + ": " + out));
        } else {
          unlink(ap.c_str());
          s.add("state", str("removed"));
        }
      }
    }
    aa_stale.push(std::move(s));
  }

  // 5c. Rollout: collect the would-be denials of the installed complain-mode profiles.
  ApplyResult r;
  for (const auto& c : checked)
    if (c.error.empty() && c.e->mode == "complain" && c.seccomp_state == "installed")
      r.complain.push_back(
          {c.e->seccomp->file, idir + "/" + c.e->seccomp->file, canonical_seccomp(c.seccomp)});
  std::optional<CollectStats> collected;
  if (!r.complain.empty()) collected = collect(r.complain, collect_options(o, sdir));

  // 6. Status.
  bool valid = true;
  for (const auto& c : checked)
    if (!c.error.empty()) valid = false;
  r.ready = complete && valid && all_installed;
  std::string why;
  if (!complete)
    why = errors.empty() ? "no complete bundle" : errors.front();
  else if (!valid)
    why = "a profile of the bundle is invalid and was not installed";
  else if (!all_installed)
    why = "a profile of the bundle failed to install";

  Value st = Value::make_object();
  st.add("format", str("confine-k8s-agent-status/1"));
  st.add("time", str(now_rfc3339()));
  st.add("ready", Value::make_bool(r.ready));
  if (!why.empty()) st.add("not_ready_because", str(why));
  st.add("kubelet_root", str(o.kubelet_root));
  st.add("install_dir", str(idir));
  Value b = Value::make_object();
  b.add("hash", str(bundle));
  b.add("complete", Value::make_bool(complete));
  b.add("parts", Value::make_u64(nparts));
  Value mounts = Value::make_array();
  for (const auto& p : parts) {
    Value m = Value::make_object();
    m.add("mount", str(p.mount));
    if (p.snap) m.add("snapshot", str(p.snap->target));
    if (p.manifest) m.add("part", Value::make_u64(p.manifest->part));
    if (!p.error.empty()) m.add("error", str(p.error));
    mounts.push(std::move(m));
  }
  b.add("mounts", std::move(mounts));
  Value errs = Value::make_array();
  for (const auto& e : errors) errs.push(str(e));
  b.add("errors", std::move(errs));
  st.add("bundle", std::move(b));
  Value aa = Value::make_object();
  aa.add("host", str(aa_host.empty() ? "absent" : "enabled"));
  if (!aa_host.empty()) aa.add("evidence", str(aa_host));
  aa.add("requested", Value::make_bool(o.apparmor));
  if (o.apparmor) aa.add("parser", str(parser));
  st.add("apparmor", std::move(aa));
  // The labels the DaemonSet's container sets on its own node (docs/kubernetes.md).
  Value labels = Value::make_object();
  if (r.ready) labels.add("confine.dev/bundle-" + bundle, str("installed"));
  labels.add("confine.dev/apparmor",
             str(r.ready && o.apparmor && !aa_host.empty() && (aa_all_loaded || !any_aa) ? "enforced"
                                                                                         : "unsupported"));
  st.add("labels", std::move(labels));
  Value profs = Value::make_array();
  for (const auto& c : checked) profs.push(entry_json(c));
  st.add("profiles", std::move(profs));
  st.add("rejected_files", std::move(rejected));
  st.add("stale", std::move(stale));
  st.add("apparmor_stale", std::move(aa_stale));
  if (collected) st.add("collect", collected->to_json());
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  st.add("apply_ms", Value::make_u64(static_cast<uint64_t>(ms)));
  mutation_step("status.json");
  CONFINE_CHECK(file::write_file_atomic(sdir + "/" + kStatusFile, json::write(st) + "\n"));
  // The node's labels, after the status is on disk (readiness never waits for the API server);
  // the outcome is written into the status once more.
  if (!o.label.node.empty()) {
    // PATCH only when the labels differ from what this process last published (a rescan every
    // --interval does not call the API server again).
    static std::string last_published;
    const Value& labels = *st.find("labels");
    std::string want = json::write(labels);
    Value lp = Value::make_object();
    lp.add("node", str(o.label.node));
    if (want == last_published) {
      lp.add("state", str("published"));
      lp.add("detail", str("unchanged since the last pass"));
    } else if (auto res = publish_labels(o.label, labels); res.ok()) {
      last_published = want;
      lp.add("state", str("published"));
      lp.add("detail", str(*res));
    } else {
      lp.add("state", str("failed"));
      lp.add("detail", str(res.error().message()));
    }
    st.add("label_publish", std::move(lp));
    CONFINE_CHECK(file::write_file_atomic(sdir + "/" + kStatusFile, json::write(st) + "\n"));
  }
  r.status = std::move(st);
  return r;
}

namespace {
volatile sig_atomic_t g_stop = 0;
void on_term(int) { g_stop = 1; }
}  // namespace

Status watch(const AgentOptions& o, unsigned interval_s) {
  struct sigaction sa {};
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (in < 0) return Error::sys("inotify_init1", errno);
  const uint32_t mask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_ATTRIB;
  auto add_watches = [&] {
    inotify_add_watch(in, o.profiles.c_str(), mask);
    // The part volumes (real sub-directories; the kubelet's own ..names and KEY symlinks are not watched).
    for (const auto& n : list_dir(o.profiles)) {
      struct stat st {};
      std::string d = o.profiles + "/" + n;
      if (n[0] != '.' && lstat(d.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        inotify_add_watch(in, d.c_str(), mask | IN_DONT_FOLLOW);
    }
  };
  // New kernel records wake the collection of complain-mode denials (at most once a second).
  int km = -1;
  std::vector<ComplainProfile> complain;
  const std::string sdir = o.state.empty() ? default_state_dir(o.kubelet_root) : o.state;
  auto drain = [](int fd) {
    char b[8192];
    for (;;) {
      ssize_t n = read(fd, b, sizeof b);
      if (n > 0 || (n < 0 && (errno == EINTR || errno == EPIPE))) continue;
      break;
    }
  };
  for (;;) {
    add_watches();  // idempotent for watched paths; picks up new part directories
    auto r = apply(o);
    if (!r.ok()) {
      close(in);
      if (km >= 0) close(km);
      return std::move(r).error();
    }
    complain = std::move(r->complain);
    if (!complain.empty() && km < 0) {
      km = open(o.kmsg.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (km >= 0) drain(km);
    } else if (complain.empty() && km >= 0) {
      close(km);
      km = -1;
    }
    pollfd p[2] = {{in, POLLIN, 0}, {km, POLLIN, 0}};
    int n = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(interval_s);
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      n = poll(p, km >= 0 ? 2 : 1, static_cast<int>(left.count()));
      if (g_stop || n <= 0 || (p[0].revents & POLLIN)) break;
      if (km >= 0 && p[1].revents) {
        usleep(1000000);
        drain(km);
        (void)collect(complain, collect_options(o, sdir));
      }
    }
    if (g_stop) break;
    if (n > 0 && (p[0].revents & POLLIN)) {
      // Let the kubelet finish its swap (one update is several events), then drain.
      usleep(100000);
      char buf[8192];
      while (read(in, buf, sizeof buf) > 0) {
      }
    }
    if (g_stop) break;
  }
  close(in);
  if (km >= 0) close(km);
  return ok();
}

}  // namespace confine::k8s
