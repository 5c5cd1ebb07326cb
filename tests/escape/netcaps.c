// Escape suite, network/capability/IPC/limits class (tests/integration/escape_netcaps.sh).
// Attacks print one line "RESULT <outcome> <detail>" (outcome "ok" = the attack
// worked, else the errno name); enumerations print one "REACH ..." / "CAP ..."
// line per surface found, then "DONE".
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* ename(int e) {
  const char* n = e ? strerrorname_np(e) : "ok";
  return n ? n : "E?";
}

static int report(long r, const char* what) {
  int e = r < 0 ? errno : 0;
  printf("RESULT %s %s (errno %d)\n", ename(e), what, e);
  fflush(stdout);
  return 0;
}

// connect() to an abstract (name) or pathname unix socket; 0 = connected.
static int unix_connect(const char* name, int abstract) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  size_t n = strlen(name);
  if (n > sizeof a.sun_path - 2) n = sizeof a.sun_path - 2;
  memcpy(a.sun_path + (abstract ? 1 : 0), name, n);
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (abstract ? 1 : 0));
  int r = connect(s, (struct sockaddr*)&a, len);
  int e = errno;
  close(s);
  errno = e;
  return r;
}

// TCP connect to HOST:PORT (IPv4, or IPv6 when HOST has a ':') with a 1 s bound; 0 = connected.
static int tcp_connect(const char* host, int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
  int v6 = strchr(host, ':') != NULL;
  if (v6 ? inet_pton(AF_INET6, host, &a6.sin6_addr) != 1 : inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    errno = EINVAL;
    return -1;
  }
  int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  int r = v6 ? connect(s, (struct sockaddr*)&a6, sizeof a6) : connect(s, (struct sockaddr*)&a, sizeof a);
  if (r < 0 && errno == EINPROGRESS) {
    struct pollfd p = {.fd = s, .events = POLLOUT};
    if (poll(&p, 1, 1000) != 1) {
      close(s);
      errno = ETIMEDOUT;
      return -1;
    }
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l);
    r = err ? -1 : 0;
    errno = err;
  }
  int e = errno;
  close(s);
  errno = e;
  return r;
}

// UDP: send PING to HOST:PORT and wait 1 s for any reply; 0 = answered.
static int udp_ask(const char* host, int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    errno = EINVAL;
    return -1;
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  if (connect(s, (struct sockaddr*)&a, sizeof a) != 0 || send(s, "PING", 4, 0) != 4) {
    int e = errno;
    close(s);
    errno = e;
    return -1;
  }
  struct pollfd p = {.fd = s, .events = POLLIN};
  char b[64];
  int r = poll(&p, 1, 1000) == 1 && recv(s, b, sizeof b, 0) > 0 ? 0 : -1;
  int e = r ? (errno ? errno : ETIMEDOUT) : 0;
  close(s);
  errno = e;
  return r;
}

static uint64_t status_hex(const char* key) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  uint64_t v = ~0ull;
  size_t kl = strlen(key);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == ':') v = strtoull(line + kl + 1, NULL, 16);
  if (f) fclose(f);
  return v;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ATTACK [ARG...]\n", argv[0]);
    return 2;
  }
  const char* a = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  const char* arg2 = argc > 3 ? argv[3] : "";

  // ---- enumerations ------------------------------------------------------
  if (!strcmp(a, "caps")) {  // every capability set, as hex masks
    const char* sets[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
    for (int i = 0; i < 5; ++i) printf("CAP %s %016llx\n", sets[i], (unsigned long long)status_hex(sets[i]));
    printf("DONE\n");
    return 0;
  }
  if (!strcmp(a, "enum-net")) {
    // Args: tcp:IP:PORT udp:IP:PORT abstract:NAME unix:PATH (host listeners, from the caller).
    for (int i = 2; i < argc; ++i) {
      char kind[16] = "", rest[4096] = "";
      if (sscanf(argv[i], "%15[^:]:%4095[^\n]", kind, rest) != 2) continue;
      int r = -1;
      if (!strcmp(kind, "tcp") || !strcmp(kind, "udp")) {
        char* c = strrchr(rest, ':');
        if (!c) continue;
        *c = 0;
        r = !strcmp(kind, "tcp") ? tcp_connect(rest, atoi(c + 1)) : udp_ask(rest, atoi(c + 1));
        *c = ':';
      } else if (!strcmp(kind, "abstract")) {
        r = unix_connect(rest, 1);
      } else if (!strcmp(kind, "unix")) {
        r = unix_connect(rest, 0);
      }
      if (r == 0) printf("REACH %s:%s\n", kind, rest);
    }
    int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (s >= 0) printf("REACH packet:ETH_P_ALL\n"), close(s);
    s = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
    if (s >= 0) printf("REACH raw:inet\n"), close(s);
    for (int proto = 0; proto < 32; ++proto) {
      s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
      if (s < 0) continue;
      struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
      if (bind(s, (struct sockaddr*)&nl, sizeof nl) == 0) printf("REACH netlink:%d\n", proto);
      close(s);
    }
    printf("DONE\n");
    return 0;
  }

  // ---- network -----------------------------------------------------------
  if (!strcmp(a, "packet-sniff")) {  // capture a marker the host sends on lo
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (s < 0) return report(-1, "socket(AF_PACKET, SOCK_RAW)");
    struct sockaddr_ll ll = {
        .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)if_nametoindex("lo")};
    if (bind(s, (struct sockaddr*)&ll, sizeof ll) != 0) return report(-1, "bind(AF_PACKET, lo)");
    char buf[2048];
    for (int i = 0; i < 400; ++i) {  // up to ~4 s
      struct pollfd p = {.fd = s, .events = POLLIN};
      if (poll(&p, 1, 10) != 1) continue;
      ssize_t n = recv(s, buf, sizeof buf, 0);
      if (n > 0 && memmem(buf, (size_t)n, arg, strlen(arg)))
        return report(0, "sniffed the host's marker on lo");
    }
    errno = ETIMEDOUT;
    return report(-1, "AF_PACKET open but the marker was not seen");
  }
  if (!strcmp(a, "raw-socket"))  // forge IP packets (spoofed sources) on the shared network
    return report(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP), "socket(AF_INET, SOCK_RAW, UDP)");
  if (!strcmp(a, "abstract-connect"))  // the host's listener @ARG
    return report(unix_connect(arg, 1), "connect(@host abstract socket)");
  if (!strcmp(a, "tcp-connect"))  // a host loopback service
    return report(tcp_connect("127.0.0.1", atoi(arg)), "connect(127.0.0.1:PORT) of the host");
  if (!strcmp(a, "netlink-addr")) {  // RTM_NEWADDR 127.0.0.77/32 on lo (then removed again)
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0) return report(-1, "socket(NETLINK_ROUTE)");
    struct {
      struct nlmsghdr h;
      struct ifaddrmsg ifa;
      struct rtattr rta;
      uint32_t addr;
    } req = {0};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = RTM_NEWADDR;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
    req.ifa.ifa_family = AF_INET;
    req.ifa.ifa_prefixlen = 32;
    req.ifa.ifa_index = if_nametoindex("lo");
    req.rta.rta_type = IFA_LOCAL;
    req.rta.rta_len = RTA_LENGTH(4);
    req.addr = htonl(0x7f00004d);
    if (send(s, &req, sizeof req, 0) < 0) return report(-1, "send(RTM_NEWADDR)");
    char buf[512];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    struct nlmsghdr* h = (struct nlmsghdr*)buf;
    int err = n > 0 && h->nlmsg_type == NLMSG_ERROR ? -((struct nlmsgerr*)NLMSG_DATA(h))->error : EINVAL;
    if (err == 0) {  // undo
      req.h.nlmsg_type = RTM_DELADDR;
      req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
      send(s, &req, sizeof req, 0);
      recv(s, buf, sizeof buf, 0);
    }
    errno = err;
    return report(err ? -1 : 0, "RTM_NEWADDR on lo");
  }

  if (!strcmp(a, "audit-write")) {  // forge a userspace audit record (AUDIT_USER, 1005)
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    if (s < 0) return report(-1, "socket(NETLINK_AUDIT)");
    struct {
      struct nlmsghdr h;
      char text[64];
    } req = {0};
    snprintf(req.text, sizeof req.text, "confine escape test: forged record");
    req.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(strlen(req.text) + 1);
    req.h.nlmsg_type = 1005;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    struct sockaddr_nl to = {.nl_family = AF_NETLINK};
    if (sendto(s, &req, req.h.nlmsg_len, 0, (struct sockaddr*)&to, sizeof to) < 0)
      return report(-1, "sendto(AUDIT_USER)");
    char buf[512];
    struct pollfd p = {.fd = s, .events = POLLIN};
    if (poll(&p, 1, 1000) != 1) {
      errno = ETIMEDOUT;
      return report(-1, "no audit ack");
    }
    ssize_t n = recv(s, buf, sizeof buf, 0);
    struct nlmsghdr* h = (struct nlmsghdr*)buf;
    int err = n > 0 && h->nlmsg_type == NLMSG_ERROR ? -((struct nlmsgerr*)NLMSG_DATA(h))->error : 0;
    errno = err;
    return report(err ? -1 : 0, "AUDIT_USER record accepted");
  }

  if (!strcmp(a, "sysv-shm")) {  // attach the host's System V shared memory segment ARG (id)
    void* p = shmat(atoi(arg), NULL, SHM_RDONLY);
    return report(p == (void*)-1 ? -1 : 0, "shmat(host segment)");
  }

  // ---- signals -----------------------------------------------------------
  if (!strcmp(a, "pidfd-signal")) {  // pidfd_send_signal(SIGTERM) to a host process (--share pid)
    int fd = (int)syscall(SYS_pidfd_open, atoi(arg), 0);
    if (fd < 0) return report(-1, "pidfd_open(host pid)");
    return report(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0),
                  "pidfd_send_signal(host pid, SIGTERM)");
  }
  if (!strcmp(a, "sigio-host")) {  // F_SETOWN a host pid, then make the fd ready: SIGIO to the host
    int p[2];
    if (pipe(p) != 0) return report(-1, "pipe");
    if (fcntl(p[0], F_SETSIG, SIGTERM) != 0 || fcntl(p[0], F_SETOWN, atoi(arg)) != 0 ||
        fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) != 0)
      return report(-1, "fcntl(F_SETOWN host pid, O_ASYNC)");
    if (write(p[1], "x", 1) != 1) return report(-1, "write");
    usleep(200000);
    errno = 0;
    int alive = kill(atoi(arg), 0) == 0 || errno == EPERM;
    errno = alive ? EPERM : 0;  // the outcome is whether the host process survived
    return report(alive ? -1 : 0,
                  alive ? "host process still alive after SIGIO" : "host process killed by SIGIO");
  }

  // ---- filesystem moves (Landlock refer) ---------------------------------
  if (!strcmp(a, "rename")) return report(rename(arg, arg2), "rename(SRC, DST)");
  if (!strcmp(a, "link")) return report(link(arg, arg2), "link(SRC, DST)");

  // ---- capabilities ------------------------------------------------------
  if (!strcmp(a, "mknod-dev")) {  // a block device node for the host's first disk (8:0)
    char p[4096];
    snprintf(p, sizeof p, "%s/sda-node", arg);
    return report(mknod(p, S_IFBLK | 0600, makedev(8, 0)), "mknod(block 8:0)");
  }
  if (!strcmp(a, "ambient-raise")) {  // put NET_RAW into the ambient set (survives exec)
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0);
    uint64_t amb = status_hex("CapAmb"), eff = status_hex("CapEff");
    errno = EPERM;
    int got = (amb >> CAP_NET_RAW & 1) || (eff >> CAP_NET_RAW & 1);
    return report(got ? 0 : -1, "CAP_NET_RAW in ambient/effective after PR_CAP_AMBIENT_RAISE");
  }
  if (!strcmp(a, "capset-raise")) {  // raise capability ARG (number < 32) into permitted+effective
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {{0}};
    if (syscall(SYS_capget, &h, d) != 0) return report(-1, "capget");
    d[0].effective |= 1u << atoi(arg);
    d[0].permitted |= 1u << atoi(arg);
    return report(syscall(SYS_capset, &h, d), "capset(+CAP)");
  }
  if (!strcmp(a, "fcap-exec")) {  // exec ARG, a copy of us with file capabilities (setcap by the caller)
    fflush(stdout);
    execl(arg, arg, "fcap-check", arg2, (char*)NULL);
    return report(-1, "execve(file-capability binary)");
  }
  if (!strcmp(
          a,
          "fcap-check")) {  // (exec'ed by fcap-exec) capability ARG (default SYS_ADMIN or NET_RAW) effective?
    uint64_t eff = status_hex("CapEff");
    int got = *arg ? (int)(eff >> atoi(arg) & 1) : (eff >> CAP_SYS_ADMIN & 1) || (eff >> CAP_NET_RAW & 1);
    errno = EPERM;
    printf("capeff=%llx ", (unsigned long long)eff);
    return report(got ? 0 : -1, "capability effective after exec of a file-capability binary");
  }

  // ---- limits ------------------------------------------------------------
  if (!strcmp(
          a,
          "cgroup-leave")) {  // move ourselves to the root cgroup ARG/cgroup.procs, then fork ARG2 children
    char p[4096];
    snprintf(p, sizeof p, "%s/cgroup.procs", arg);
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) return report(-1, "write(cgroup.procs of the root cgroup)");
    close(fd);
    argv[1] = "fork-bomb";
    argv[2] = (char*)arg2;
    return main(3, argv);
  }
  if (!strcmp(a, "fork-bomb")) {  // fork ARG children that wait; count the successes
    int want = atoi(arg), made = 0, err = 0;
    pid_t kids[4096];
    for (int i = 0; i < want && i < 4096; ++i) {
      pid_t p = fork();
      if (p == 0) {
        pause();
        _exit(0);
      }
      if (p < 0) {
        err = errno;
        break;
      }
      kids[made++] = p;
    }
    for (int i = 0; i < made; ++i) kill(kids[i], SIGKILL);
    while (wait(NULL) > 0) {
    }
    printf("forked %d of %d\n", made, want);
    errno = err;
    return report(made == want ? 0 : -1, "fork bomb");
  }

  fprintf(stderr, "unknown attack %s\n", a);
  return 2;
}
