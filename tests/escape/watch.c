// Harmless variants of attacks the stock watch rules look for (tests/integration/watch.sh):
// each makes the attack's syscall in a form that cannot change the host (a missing file,
// a bad fd, an unprivileged caller), because `confine watch` lets every syscall run.
// Prints "RESULT <errno name or ok> <what>" like attacks.c.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(long r, const char* what) {
  int e = r < 0 ? errno : 0;
  printf("RESULT %s %s\n", e ? strerrorname_np(e) : "ok", what);
  fflush(stdout);
  return 0;
}

static int run(const char* path, char* const argv[]) {
  pid_t p = fork();
  if (p == 0) {
    execv(path, argv);
    _exit(127);
  }
  int st = 0;
  if (p < 0 || waitpid(p, &st, 0) < 0) return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : (errno = ENOEXEC, -1);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ATTACK [ARG]\n", argv[0]);
    return 2;
  }
  const char* a = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  if (!strcmp(a, "packet-socket"))  // run unprivileged: EPERM
    return report(socket(AF_PACKET, SOCK_RAW, 0), "socket(AF_PACKET)");
  if (!strcmp(a, "module-load"))  // a bad fd: EBADF (or EPERM unprivileged) before anything loads
    return report(syscall(SYS_finit_module, -1, "", 0), "finit_module(-1)");
  if (!strcmp(a, "release-agent"))  // a cgroup that does not exist: ENOENT
    return report(open("/sys/fs/cgroup/confine-watch-no-such-cgroup/release_agent", O_WRONLY), "open(release_agent)");
  if (!strcmp(a, "read-shadow"))  // unprivileged: EACCES
    return report(open("/etc/shadow", O_RDONLY), "open(/etc/shadow)");
  if (!strcmp(a, "devshm-exec")) {  // a copy of /bin/true in /dev/shm, run and removed
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/confine-watch-%d", (int)getpid());
    int in = open("/bin/true", O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0700);
    char buf[65536];
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
      if (write(out, buf, (size_t)n) != n) break;
    close(in), close(out);
    char* args[] = {"true", NULL};
    int r = run(path, args);
    unlink(path);
    return report(r, "exec /dev/shm/...");
  }
  if (!strcmp(a, "server-shell")) {  // run as a copy named like a server: a child shell
    char* args[] = {"sh", "-c", "true", NULL};
    return report(run("/bin/sh", args), "fork + exec /bin/sh -c true");
  }
  if (!strcmp(a, "setuid-bit"))  // ARG: a file of the caller's own in a test directory
    return report(chmod(arg, 04755), "chmod(ARG, 04755)");
  if (!strcmp(a, "reverse-shell")) {
    // A connected TCP socket (to a listener of its own on 127.0.0.1) dup'ed onto stdin, as
    // every reverse shell does; stdin is restored and nothing is executed.
    int l = socket(AF_INET, SOCK_STREAM, 0), s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (bind(l, (struct sockaddr*)&sa, sizeof sa) || listen(l, 1) || getsockname(l, (struct sockaddr*)&sa, &len) ||
        connect(s, (struct sockaddr*)&sa, sizeof sa))
      return report(-1, "listen/connect on 127.0.0.1");
    int saved = dup(0);
    long r = dup2(s, 0);
    int e = errno;
    dup2(saved, 0);
    errno = e;
    return report(r, "dup2(connected socket, 0)");
  }
  if (!strcmp(a, "setns")) {  // its own uts namespace: changes nothing (EPERM unprivileged)
    int fd = open("/proc/self/ns/uts", O_RDONLY);
    return report(setns(fd, CLONE_NEWUTS), "setns(/proc/self/ns/uts)");
  }
  if (!strcmp(a, "mount"))  // unprivileged: EPERM
    return report(mount("none", "/mnt", "tmpfs", 0, NULL), "mount(tmpfs, /mnt)");
  if (!strcmp(a, "clear-log"))  // a log that does not exist: ENOENT
    return report(truncate("/var/log/confine-watch-no-such.log", 0), "truncate(/var/log/..., 0)");
  if (!strcmp(a, "bpf-load"))  // a NULL attribute: EFAULT (or EPERM unprivileged)
    return report(syscall(SYS_bpf, 5 /* BPF_PROG_LOAD */, NULL, 0), "bpf(BPF_PROG_LOAD, NULL)");
  if (!strcmp(a, "key-search")) {  // find in ARG (an empty test directory) for id_rsa
    char* args[] = {"find", (char*)arg, "-name", "id_rsa", NULL};
    return report(run("/usr/bin/find", args), "find ARG -name id_rsa");
  }
  fprintf(stderr, "unknown attack %s\n", a);
  return 2;
}
