#include "logs/filter.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "core/file.h"

namespace confine::logs {

namespace {

std::optional<double> event_time(const Event& ev) {
  if (ev.time.empty()) return std::nullopt;
  char* end = nullptr;
  double t = std::strtod(ev.time.c_str(), &end);
  if (end == ev.time.c_str() || *end) return std::nullopt;
  return t;
}

std::string utc(double t) {
  std::time_t s = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_hex_id(std::string_view s) {
  if (s.size() < 12 || s.size() > 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c)))
      return false;
  return true;
}

// Reads cgroup.procs of dir and of every cgroup below it (depth-bounded).
Status collect_pids(const std::string& dir, std::set<int64_t>& out, int depth) {
  if (depth > 32) return Error("cgroup tree deeper than 32 levels at " + dir);
  // kernfs reports a size of 0 or 4096 whatever it holds: read_file reads to EOF, within the bound.
  CONFINE_TRY(std::string text, file::read_file(dir + "/cgroup.procs", 16u << 20));
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view l =
        std::string_view(text).substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    start = nl == std::string::npos ? text.size() : nl + 1;
    if (all_digits(l)) out.insert(std::strtoll(std::string(l).c_str(), nullptr, 10));
  }
  DIR* d = opendir(dir.c_str());
  if (!d) return Error::sys("opendir(\"" + dir + "\")", errno);
  std::vector<std::string> subs;
  while (dirent* e = readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    subs.push_back(dir + "/" + e->d_name);
  }
  closedir(d);
  for (const auto& s : subs) CONFINE_CHECK(collect_pids(s, out, depth + 1));
  return ok();
}

// The cgroup directory under root whose name holds the container id (first match, breadth first).
std::optional<std::string> find_container_cgroup(const std::string& root, std::string_view id) {
  std::vector<std::string> level{root};
  for (int depth = 0; depth < 12 && !level.empty(); ++depth) {
    std::vector<std::string> next;
    for (const auto& dir : level) {
      DIR* d = opendir(dir.c_str());
      if (!d) continue;
      while (dirent* e = readdir(d)) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
        std::string name = e->d_name;
        std::string path = dir + "/" + name;
        if (name.find(id) != std::string::npos) {
          closedir(d);
          return path;
        }
        next.push_back(std::move(path));
      }
      closedir(d);
    }
    level = std::move(next);
  }
  return std::nullopt;
}

}  // namespace

bool Filter::matches(const Event& ev) const {
  if (!comm.empty() && !comm.count(ev.comm)) return false;
  if (!exe.empty() && !exe.count(ev.exe)) return false;
  if ((!pids.empty() || !cgroups.empty()) && (!ev.pid || !pids.count(*ev.pid))) return false;
  if (since) {
    auto t = event_time(ev);
    if (!t || *t < *since) return false;
  }
  return true;
}

std::string Filter::describe() const {
  std::string s;
  auto add = [&](const std::string& x) { s += (s.empty() ? "" : ", ") + x; };
  for (const auto& c : comm) add("comm=" + c);
  for (const auto& e : exe) add("exe=" + e);
  for (const auto& c : cgroups) add("cgroup=" + c);
  if (!pids.empty()) add(std::to_string(pids.size()) + " pid(s)");
  if (since) add("since " + utc(*since));
  return s.empty() ? "no filter" : s;
}

Result<double> parse_since(std::string_view s, std::time_t now) {
  std::string in(s);
  auto bad = [&] {
    return Error("--since \"" + in +
                 "\": expected a duration before now (30s, 10m, 2h, 1d), @EPOCH, or a date "
                 "(2026-12-06, 2026-12-06T19:00:00Z, \"2026-12-06 19:00\")");
  };
  if (s.empty()) return bad();
  if (s[0] == '@') {
    char* end = nullptr;
    double v = std::strtod(in.c_str() + 1, &end);
    if (end == in.c_str() + 1 || *end || v < 0) return bad();
    return v;
  }
  // duration
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i > 0 && i + 1 == s.size() && std::strchr("smhd", s.back())) {
    if (i > 9) return bad();
    double v = std::strtod(std::string(s.substr(0, i)).c_str(), nullptr);
    double mult = s.back() == 's' ? 1 : s.back() == 'm' ? 60 : s.back() == 'h' ? 3600 : 86400;
    return static_cast<double>(now) - v * mult;
  }
  // date [T| ] time [Z]
  std::tm tm{};
  bool z = false;
  std::string d = in;
  if (!d.empty() && d.back() == 'Z') z = true, d.pop_back();
  const char* rest = strptime(d.c_str(), "%Y-%m-%d", &tm);
  if (!rest) return bad();
  if (*rest == 'T' || *rest == ' ') {
    const char* r2 = strptime(rest + 1, "%H:%M:%S", &tm);
    if (!r2) r2 = strptime(rest + 1, "%H:%M", &tm);
    if (!r2) return bad();
    rest = r2;
  } else if (z) {
    return bad();
  }
  if (*rest) return bad();
  tm.tm_isdst = -1;
  std::time_t t = z ? timegm(&tm) : mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return bad();
  return static_cast<double>(t);
}

Status add_cgroup(Filter& f, std::string_view spec, const std::string& cgroup_root) {
  std::string s(spec);
  std::string dir;
  if (!s.empty() && s[0] == '/') {
    dir = s;
  } else if (is_hex_id(s)) {
    auto found = find_container_cgroup(cgroup_root, s);
    if (!found)
      return Error("--cgroup " + s + ": no cgroup under " + cgroup_root +
                   " has this container id in its name (is the container running?)");
    dir = *found;
  } else {
    dir = cgroup_root + "/" + s;
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return Error::sys("--cgroup " + s + ": stat(\"" + dir + "\")", errno);
  if (!S_ISDIR(st.st_mode)) return Error("--cgroup " + s + ": " + dir + " is not a cgroup directory");
  size_t before = f.pids.size();
  CONFINE_CHECK_CTX(collect_pids(dir, f.pids, 0), "--cgroup " + s);
  f.cgroups.push_back(dir);
  if (f.pids.size() == before)
    return Error("--cgroup " + s + ": " + dir +
                 " has no processes now (records carry no cgroup: only a running workload's pids can be "
                 "matched; use --exe for one that exited)");
  return ok();
}

Sources sources_of(const std::vector<Event>& events) {
  Sources s;
  for (const auto& ev : events) {
    // The kernel labels these itself: an AppArmor record names the profile that
    // confined the task, a Landlock record its domain. Neither can be forged by a
    // neighbour, and --to-apparmor uses AppArmor records only for PROFILE's profiles.
    if ((ev.kind == Kind::AppArmor || ev.kind == Kind::SELinux) && !ev.profile.empty()) continue;
    ++s.kernel_records;
    if (ev.kind == Kind::Landlock && !ev.domain.empty())
      s.programs.insert("landlock domain " + ev.domain);
    else if (!ev.exe.empty())
      s.programs.insert(ev.exe);
    else if (!ev.comm.empty())
      s.programs.insert("comm=" + ev.comm);
    else if (ev.pid)
      s.programs.insert("pid=" + std::to_string(*ev.pid));
    else
      s.programs.insert("(unattributed)");
  }
  return s;
}

Status profile_delta_guard(const Filter& f, const Sources& s, bool live, bool all_processes) {
  if (all_processes || f.attributable() || s.kernel_records == 0) return ok();
  if (!live && s.programs.size() <= 1 && !s.programs.count("(unattributed)")) return ok();
  std::string list;
  size_t n = 0;
  for (const auto& p : s.programs) {
    if (n++ == 6) {
      list += ", ...";
      break;
    }
    list += (list.empty() ? "" : ", ") + p;
  }
  std::string where =
      live ? "the live kernel log holds records of every process on this host"
           : "the records come from " + std::to_string(s.programs.size()) + " programs (" + list + ")";
  return Error(
      where + ": select the workload with --exe PATH, --pid PID or --cgroup PATH|ID" +
      (f.comm.empty() ? std::string() : " (--comm alone is not enough: any process can name itself so)") +
      ", or take them all with --all-processes");
}

}  // namespace confine::logs
