// Harmless variants of attacks the stock watch rules look for (tests/integration/watch.sh):
// each makes the attack's syscall in a form that cannot change the host (a missing file,
// a bad fd, an unprivileged caller), because `confine watch` lets every syscall run.
// Prints "RESULT <errno name or ok> <what>" like attacks.c.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
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
    return report(open("/sys/fs/cgroup/confine-watch-no-such-cgroup/release_agent", O_WRONLY),
                  "open(release_agent)");
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
    if (bind(l, (struct sockaddr*)&sa, sizeof sa) || listen(l, 1) ||
        getsockname(l, (struct sockaddr*)&sa, &len) || connect(s, (struct sockaddr*)&sa, sizeof sa))
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
  // Evasions of the rules above (a link, a rename, another loader) and the third set of rules.
  if (!strcmp(a, "read-via-link"))  // ARG: a symlink to /etc/shadow made beforehand; unprivileged: EACCES
    return report(open(arg, O_RDONLY), "open(link to /etc/shadow)");
  if (!strcmp(a, "rename-into-etc")) {  // a directory of /etc that does not exist: ENOENT
    char src[64];
    snprintf(src, sizeof src, "/tmp/confine-watch-%d", (int)getpid());
    close(open(src, O_WRONLY | O_CREAT | O_EXCL, 0600));
    long r = rename(src, "/etc/confine-watch-no-such-dir/cron-job");
    int e = errno;
    unlink(src);
    errno = e;
    return report(r, "rename(/tmp/..., /etc/.../cron-job)");
  }
  if (!strcmp(a, "hardlink-shadow"))  // into a directory that does not exist: ENOENT (EPERM unprivileged)
    return report(link("/etc/shadow", "/tmp/confine-watch-no-such-dir/shadow"), "link(/etc/shadow, ...)");
  if (!strcmp(a, "memfd-exec-procfd")) {  // a memfd with /bin/true, run through /proc/self/fd/N
    int m = (int)syscall(SYS_memfd_create, "y", 0), in = open("/bin/true", O_RDONLY);
    char buf[65536], path[64];
    ssize_t n;
    while (m >= 0 && in >= 0 && (n = read(in, buf, sizeof buf)) > 0)
      if (write(m, buf, (size_t)n) != n) break;
    snprintf(path, sizeof path, "/proc/self/fd/%d", m);
    char* args[] = {"true", NULL};
    return report(run(path, args), "exec /proc/self/fd/N (a memfd)");
  }
  if (!strcmp(a, "devshm-exec-link") || !strcmp(a, "devshm-ldso")) {
    // A copy of /bin/true in /dev/shm, run through a link elsewhere or by the dynamic loader.
    char path[64], lnk[80];
    snprintf(path, sizeof path, "/dev/shm/confine-watch-%d", (int)getpid());
    snprintf(lnk, sizeof lnk, "/tmp/confine-watch-link-%d", (int)getpid());
    int in = open("/bin/true", O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0700);
    char buf[65536];
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
      if (write(out, buf, (size_t)n) != n) break;
    close(in), close(out);
    int r;
    if (!strcmp(a, "devshm-exec-link")) {
      r = symlink(path, lnk);
      char* args[] = {"true", NULL};
      if (!r) r = run(lnk, args);
      unlink(lnk);
    } else {
      char* args[] = {"ld.so", path, NULL};
      r = run(arg, args);  // ARG: the dynamic loader
    }
    unlink(path);
    return report(r, a);
  }
  if (!strcmp(a, "delete-history"))  // a history file that does not exist: ENOENT
    return report(unlink("/tmp/confine-watch-no-such-dir/.bash_history"), "unlink(.bash_history)");
  if (!strcmp(a, "create-dev"))  // unprivileged: EACCES
    return report(open("/dev/confine-watch-node", O_WRONLY | O_CREAT, 0600), "open(/dev/..., O_CREAT)");
  if (!strcmp(a, "userfaultfd")) {  // unprivileged: EPERM (vm.unprivileged_userfaultfd=0) or a fd, closed
    long r = syscall(SYS_userfaultfd, 0);
    if (r >= 0) close((int)r);
    return report(r, "userfaultfd(0)");
  }
  if (!strcmp(a, "authorized-keys"))  // unprivileged: EACCES (or ENOENT)
    return report(open("/root/.ssh/authorized_keys", O_WRONLY | O_APPEND), "open(authorized_keys, O_APPEND)");
  if (!strcmp(a, "metadata-service")) {  // a non-blocking connect, closed at once
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
    sa.sin_addr.s_addr = inet_addr("169.254.169.254");
    long r = connect(s, (struct sockaddr*)&sa, sizeof sa);
    int e = errno;
    close(s);
    errno = e;
    return report(r == -1 && e == EINPROGRESS ? 0 : r, "connect(169.254.169.254:80)");
  }
  if (!strcmp(a, "netcat-exec")) {  // ARG: a program named nc (a copy of /bin/true): nothing runs
    char* args[] = {"nc", "-e", "/bin/sh", "127.0.0.1", "1", NULL};
    return report(run(arg, args), "nc -e /bin/sh 127.0.0.1 1");
  }
  if (!strcmp(a, "listener-shell") || !strcmp(a, "plain-shell")) {
    // A program with no server's name that listens on 127.0.0.1 (listener-shell) starts a shell,
    // as command injection into any network service does; plain-shell does the same without
    // listening (no alert).
    if (!strcmp(a, "listener-shell")) {
      int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      struct sockaddr_in sa = {.sin_family = AF_INET};
      sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (bind(l, (struct sockaddr*)&sa, sizeof sa) || listen(l, 1)) return report(-1, "listen on 127.0.0.1");
    }
    char* args[] = {"sh", "-c", "true", NULL};
    return report(run("/bin/sh", args), "fork + exec /bin/sh -c true");
  }
  if (!strcmp(a, "clear-log-trunc"))  // `: > log`: an open with O_TRUNC of a log that does not exist: ENOENT
    return report(open("/var/log/confine-watch-no-such.log", O_WRONLY | O_TRUNC),
                  "open(/var/log/..., O_TRUNC)");
  if (!strcmp(a, "shell-config"))  // `echo ... >> ~/.bashrc` in a directory that does not exist: ENOENT
    return report(open("/tmp/confine-watch-no-such-dir/.bashrc", O_WRONLY | O_APPEND | O_CREAT, 0644),
                  "open(.bashrc, O_APPEND)");
  if (!strcmp(a, "cron-spool"))  // a crontab written behind crontab's back, in a missing directory: ENOENT
    return report(open("/var/spool/cron/confine-watch-no-such-dir/nobody", O_WRONLY | O_CREAT, 0600),
                  "open(/var/spool/cron/..., O_CREAT)");
  if (!strcmp(a, "userns"))  // `unshare -r`: its own new user and mount namespaces, gone when it exits
    return report(unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(CLONE_NEWUSER|CLONE_NEWNS)");
  if (!strcmp(a, "recon-tool")) {  // ARG: a program named nmap (a copy of /bin/true): nothing runs
    char* args[] = {"nmap", "-sS", "10.0.0.0/8", NULL};
    return report(run(arg, args), "nmap -sS 10.0.0.0/8");
  }
  if (!strcmp(a, "miner")) {  // ARG: a copy of /bin/true under another name, given a pool URL: nothing runs
    char* args[] = {"kworker", "-o", "stratum+tcp://pool.example:3333", "-u", "x", NULL};
    return report(run(arg, args), "kworker -o stratum+tcp://pool.example:3333");
  }
  if (!strcmp(a, "block-device"))  // a disk that does not exist: ENOENT (debugfs /dev/sda, dd if=/dev/sda)
    return report(open("/dev/sdzz", O_RDONLY), "open(/dev/sdzz)");
  if (!strcmp(a, "db-spawn")) {  // run as ARG named postgres: it starts ARG2 (a copy of /bin/true named curl)
    char* args[] = {"curl", "-s", "http://127.0.0.1:1/x", NULL};
    return report(run(argc > 3 ? argv[3] : "", args), "postgres: fork + exec curl");
  }
  if (!strcmp(a, "user-mgmt")) {  // ARG: a program named useradd (a copy of /bin/true): nothing runs
    char* args[] = {"useradd", "-o", "-u", "0", "backdoor", NULL};
    return report(run(arg, args), "useradd -o -u 0 backdoor");
  }
  if (!strcmp(a, "read-user-key"))  // a user's SSH private key in a home that does not exist: ENOENT
    return report(open("/home/confine-watch-no-such-user/.ssh/id_ed25519", O_RDONLY),
                  "open(~/.ssh/id_ed25519)");
  if (!strcmp(a, "read-environ"))  // pid 1's environment, unprivileged: EACCES
    return report(open("/proc/1/environ", O_RDONLY), "open(/proc/1/environ)");
  if (!strcmp(a, "ptrace-traceme"))  // traced by its parent (the watcher's child: it never waits for it)
    return report(ptrace(PTRACE_TRACEME, 0, 0, 0), "ptrace(PTRACE_TRACEME)");
  if (!strcmp(a, "proc-mem-write"))  // pid 1's memory, unprivileged: EACCES
    return report(open("/proc/1/mem", O_WRONLY), "open(/proc/1/mem, O_WRONLY)");
  if (!strcmp(a, "vm-writev")) {  // pid 1, unprivileged: EPERM; nothing is written
    char b = 0;
    struct iovec l = {&b, 1}, r = {(void*)0x1000, 1};
    return report(syscall(SYS_process_vm_writev, 1, &l, 1, &r, 1, 0), "process_vm_writev(1)");
  }
  fprintf(stderr, "unknown attack %s\n", a);
  return 2;
}
