#include "sandbox/namespaces.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace confine::sandbox {

namespace {
struct NsName {
  std::string_view name;
  int flag;
  bool NamespaceConfig::*field;
};
constexpr NsName kNs[] = {
    {"user", CLONE_NEWUSER, &NamespaceConfig::user},       {"pid", CLONE_NEWPID, &NamespaceConfig::pid},
    {"mount", CLONE_NEWNS, &NamespaceConfig::mount},       {"net", CLONE_NEWNET, &NamespaceConfig::net},
    {"ipc", CLONE_NEWIPC, &NamespaceConfig::ipc},          {"uts", CLONE_NEWUTS, &NamespaceConfig::uts},
    {"cgroup", CLONE_NEWCGROUP, &NamespaceConfig::cgroup},
};
}  // namespace

int clone_flags(const NamespaceConfig& c) {
  int f = 0;
  for (const auto& n : kNs)
    if (c.*(n.field)) f |= n.flag;
  return f;
}

std::string clone_flags_str(int flags) {
  std::string s;
  static constexpr std::pair<int, std::string_view> names[] = {
      {CLONE_NEWUSER, "CLONE_NEWUSER"},    {CLONE_NEWPID, "CLONE_NEWPID"}, {CLONE_NEWNS, "CLONE_NEWNS"},
      {CLONE_NEWNET, "CLONE_NEWNET"},      {CLONE_NEWIPC, "CLONE_NEWIPC"}, {CLONE_NEWUTS, "CLONE_NEWUTS"},
      {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}};
  for (auto [f, n] : names)
    if (flags & f) s += (s.empty() ? "" : "|") + std::string(n);
  return s.empty() ? "0" : s;
}

Status set_namespaces(NamespaceConfig& c, std::string_view list, bool value) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    if (item == "all") {
      for (const auto& n : kNs)
        if (n.name != "user") c.*(n.field) = value;
      continue;
    }
    if (item == "network") item = "net";
    if (item == "mnt") item = "mount";
    bool found = false;
    for (const auto& n : kNs)
      if (n.name == item) {
        c.*(n.field) = value;
        found = true;
      }
    if (!found)
      return Error("unknown namespace \"" + std::string(item) +
                   "\" (expected user, pid, mount, net, ipc, uts, cgroup or all)");
  }
  return ok();
}

Status loopback_up() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Error::sys("socket(AF_INET, SOCK_DGRAM)", errno);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    int e = errno;
    close(s);
    return Error::sys("ioctl(SIOCGIFFLAGS, \"lo\")", e);
  }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
    int e = errno;
    close(s);
    return Error::sys("ioctl(SIOCSIFFLAGS, \"lo\", IFF_UP|IFF_RUNNING)", e);
  }
  close(s);
  return ok();
}

Status setup_namespaces(const NamespaceConfig& c) {
  if (c.net) CONFINE_CHECK_CTX(loopback_up(), "net namespace");
  if (c.uts && !c.hostname.empty()) {
    if (sethostname(c.hostname.data(), c.hostname.size()) != 0)
      return Error::sys("sethostname(\"" + c.hostname + "\")", errno).context("uts namespace");
  }
  return ok();
}

std::string describe(const NamespaceConfig& c) {
  std::string neu, shared;
  for (const auto& n : kNs) {
    std::string& s = (c.*(n.field)) ? neu : shared;
    s += (s.empty() ? "" : ",") + std::string(n.name);
  }
  std::string out = "new: " + (neu.empty() ? std::string("none") : neu) +
                    "; shared with the host: " + (shared.empty() ? std::string("none") : shared);
  if (c.net) out += "; loopback up";
  if (c.uts) out += "; hostname " + c.hostname;
  if (c.pid) out += "; pid 1 is a minimal init (reaps, forwards signals)";
  return out;
}

}  // namespace confine::sandbox
