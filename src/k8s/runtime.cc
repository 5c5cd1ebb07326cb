#include "k8s/runtime.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "core/file.h"
#include "json/json.h"
#include "seccomp/profile.h"

namespace confine::k8s {

namespace {
bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

void read_container(const std::string& root, const std::string& id, RuntimeScan& s) {
  std::string dir = root + "/" + id;
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  Container c;
  c.id = id;
  c.root = root;
  auto text = file::read_file(dir + "/state.json", 64u << 20);
  if (!text.ok()) {
    if (text.error().sys_errno() == ENOENT) return;  // not a container directory (or just deleted)
    c.doubt = "state.json unreadable: " + text.error().message();
    s.containers.push_back(std::move(c));
    return;
  }
  auto doc = json::parse(*text, dir + "/state.json");
  const json::Value* cfg = doc.ok() ? doc->find("config") : nullptr;
  if (!cfg) {
    c.doubt = "state.json is not runc's state (no \"config\")";
    s.containers.push_back(std::move(c));
    return;
  }
  std::string bundle;
  if (const json::Value* labels = cfg->find("labels"); labels && labels->is(json::Type::Array)) {
    for (const auto& l : labels->items) {
      if (!l.is(json::Type::String)) continue;
      size_t eq = l.text.find('=');
      if (eq == std::string::npos) continue;
      if (l.text.compare(0, eq, "bundle") == 0)
        bundle = l.text.substr(eq + 1);
      else
        c.annotation_values.push_back(l.text.substr(eq + 1));
    }
  }
  if (const json::Value* a = cfg->find("apparmor_profile"); a && a->is(json::Type::String))
    c.apparmor_profile = a->text;
  if (const json::Value* p = doc->find("init_process_pid"); p && p->as_u64())
    c.init_pid = static_cast<int64_t>(*p->as_u64());
  // The cgroup v2 path: cgroup_paths[""] is the unified hierarchy's directory (/sys/fs/cgroup/... on a
  // v2 host, /sys/fs/cgroup/unified/... on a hybrid one), as /proc/PID/cgroup's "0::" line names it.
  if (const json::Value* cp = doc->find("cgroup_paths"))
    if (const json::Value* u = cp->find(""); u && u->is(json::Type::String))
      for (const char* m : {"/sys/fs/cgroup/unified/", "/sys/fs/cgroup/"})
        if (u->text.starts_with(m)) {
          c.cgroup = u->text.substr(std::string(m).size() - 1);
          break;
        }
  const json::Value* sc = cfg->find("seccomp");
  c.has_seccomp = sc && !sc->is(json::Type::Null);
  if (c.has_seccomp) {
    if (bundle.empty()) {
      c.doubt = "seccomp filter, but no bundle label naming its config.json";
    } else {
      auto spec = file::read_file(bundle + "/config.json", 64u << 20);
      if (!spec.ok()) {
        c.doubt = "seccomp filter, config.json unreadable: " + spec.error().message();
      } else {
        c.seccomp_canonical = canonical_seccomp(*spec);
        if (c.seccomp_canonical.empty())
          c.doubt = "seccomp filter, config.json's linux.seccomp does not parse";
      }
    }
  }
  s.containers.push_back(std::move(c));
}
}  // namespace

std::string find_program(const std::string& name, const std::string& fallback) {
  const char* env = getenv("PATH");
  std::string path = std::string(env ? env : "") + ":" + fallback;
  for (size_t i = 0; i <= path.size();) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string d = path.substr(i, j - i);
    i = j + 1;
    if (!d.empty() && access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
  }
  return "";
}

std::vector<std::string> list_dir(const std::string& d) {
  std::vector<std::string> out;
  if (DIR* dp = opendir(d.c_str())) {
    while (dirent* e = readdir(dp)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    closedir(dp);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string canonical_seccomp(const std::string& text) {
  auto p = seccomp::parse_profile_text(text, "");
  if (!p.ok()) return "";
  return seccomp::format_profile(*p);
}

RuntimeScan scan_runtime(const std::vector<std::string>& roots) {
  RuntimeScan s;
  for (const auto& r : roots) {
    struct stat st {};
    if (stat(r.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      s.roots_missing.push_back(r);
      continue;
    }
    s.roots_found.push_back(r);
    for (const auto& id : list_dir(r)) read_container(r, id, s);
  }
  return s;
}

Use profile_use(const RuntimeScan& s, const std::string& path, const std::string& rel,
                const std::string& canonical) {
  Use u;
  std::vector<std::string> doubtful;
  for (const auto& c : s.containers) {
    bool uses = false;
    for (const auto& v : c.annotation_values)
      if (v == path || ends_with(v, "/" + rel) || v == "localhost/" + rel) uses = true;
    if (!uses && !canonical.empty() && c.seccomp_canonical == canonical) uses = true;
    if (uses) {
      u.containers.push_back(c.root + "/" + c.id);
    } else if (!c.doubt.empty()) {
      doubtful.push_back(c.root + "/" + c.id + " (" + c.doubt + ")");
    }
  }
  if (!u.containers.empty()) return u;
  if (s.roots_found.empty()) {
    std::string looked;
    for (const auto& r : s.roots_missing) looked += (looked.empty() ? "" : ", ") + r;
    u.doubt = "no container runtime state found (looked in " + looked + ")";
  } else if (!doubtful.empty()) {
    u.doubt =
        "cannot tell what " + std::to_string(doubtful.size()) + " container(s) use: " + doubtful.front();
  } else if (!s.doubts.empty()) {
    u.doubt = s.doubts.front();
  }
  return u;
}

}  // namespace confine::k8s
