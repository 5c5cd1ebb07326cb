// Escape suite: known attacks against a container-style sandbox, one per
// name. Each prints exactly one line "RESULT <outcome> <detail>", where
// outcome is "ok" (the attack's syscall succeeded) or the errno name (EPERM,
// ENOSYS, ...). A signal (SIGSYS from seccomp) shows as confine's exit status.
// tests/integration/escape_suite.sh runs each under `confine run` and asserts
// how it failed.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char* ename(int e) {
  switch (e) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOSYS: return "ENOSYS";
    case EROFS: return "EROFS";
    case EBADF: return "EBADF";
    case ESRCH: return "ESRCH";
    case ENXIO: return "ENXIO";
    case ENOTTY: return "ENOTTY";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case ETXTBSY: return "ETXTBSY";
    case EIO: return "EIO";
    case EBUSY: return "EBUSY";
    case ENOEXEC: return "ENOEXEC";
    default: return "E?";
  }
}

static int report(long r, const char* what) {
  int e = r < 0 ? errno : 0;
  printf("RESULT %s %s (errno %d)\n", ename(e), what, e);
  fflush(stdout);
  return 0;
}

// i386 ABI syscall through the int $0x80 gate from a 64-bit process.
static long int80(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  if (ret < 0 && ret > -4096) {
    errno = (int)-ret;
    return -1;
  }
  return ret;
}

static long raw_x32(long nr, long a, long b, long c) { return syscall(nr | 0x40000000L, a, b, c); }

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ATTACK [ARG]\n", argv[0]);
    return 2;
  }
  const char* a = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";

  if (!strcmp(a, "blocked-syscall"))  // kexec_load: never allowed in a container
    return report(syscall(SYS_kexec_load, 0, 0, NULL, 0), "kexec_load");
  if (!strcmp(a, "int80-blocked"))  // same syscall through the i386 gate (kexec_load is 283 on i386)
    return report(int80(283, 0, 0, 0), "int $0x80 kexec_load");
  if (!strcmp(a, "int80-mount"))  // mount is 21 on i386
    return report(int80(21, (long)"none", (long)"/mnt", (long)"tmpfs"), "int $0x80 mount");
  if (!strcmp(a, "x32-blocked"))  // x32 ABI: x86_64 number | 0x40000000
    return report(raw_x32(SYS_kexec_load, 0, 0, 0), "x32 kexec_load");
  if (!strcmp(a, "x32-allowed-call"))  // even an allowed syscall through x32 must not pass
    return report(raw_x32(SYS_getpid, 0, 0, 0), "x32 getpid");
  if (!strcmp(a, "tiocsti")) {  // push a command into the caller's terminal input
    char c = '#';
    long r = -1;
    int e = ENOTTY;
    for (int fd = 0; fd <= 2; ++fd)
      if (isatty(fd)) {
        r = ioctl(fd, TIOCSTI, &c);
        e = errno;
        break;
      }
    errno = e;
    return report(r, "ioctl(tty, TIOCSTI)");
  }
  if (!strcmp(a, "dev-tty"))  // a controlling terminal would make TIOCSTI legal
    return report(open("/dev/tty", O_RDWR), "open(/dev/tty)");
  if (!strcmp(a, "tioclinux")) {  // paste selection (TIOCLINUX subcode 3)
    char sub = 3;
    long r = -1;
    int e = ENOTTY;
    for (int fd = 0; fd <= 2; ++fd)
      if (isatty(fd)) {
        r = ioctl(fd, TIOCLINUX, &sub);
        e = errno;
        break;
      }
    errno = e;
    return report(r, "ioctl(tty, TIOCLINUX, 3)");
  }
  if (!strcmp(a, "ioctl-highbits")) {  // TIOCSTI with garbage in the upper 32 bits of the request
    char c = '#';
    long r = -1;
    int e = ENOTTY;
    for (int fd = 0; fd <= 2; ++fd)
      if (isatty(fd)) {
        r = syscall(SYS_ioctl, fd, (unsigned long)TIOCSTI | (1UL << 32), &c);
        e = errno;
        break;
      }
    errno = e;
    return report(r, "ioctl(tty, TIOCSTI|1<<32)");
  }
  if (!strcmp(a, "personality-highbits"))  // READ_IMPLIES_EXEC hidden behind high bits of a 32-bit arg
    return report(syscall(SYS_personality, (1UL << 32) | READ_IMPLIES_EXEC), "personality(1<<32|READ_IMPLIES_EXEC)");
  if (!strcmp(a, "exec")) {  // exec argv[2..] (setuid binary, file capabilities)
    execv(argv[2], argv + 2);
    return report(-1, "execv");
  }
  if (!strcmp(a, "whoami")) {  // helper for setuid/file-cap: print what exec gave us
    FILE* f = fopen("/proc/self/status", "r");
    char line[256], eff[64] = "?";
    while (f && fgets(line, sizeof line, f))
      if (!strncmp(line, "CapEff:", 7)) sscanf(line + 7, "%63s", eff);
    printf("RESULT %s euid=%d capeff=%s\n", (geteuid() == 0 || strcmp(eff, "0000000000000000")) ? "ESCALATED" : "EPERM",
           (int)geteuid(), eff);
    return 0;
  }
  if (!strcmp(a, "ptrace-supervisor"))  // attach to pid 1 (our init/supervisor) or to confine
    return report(ptrace(PTRACE_ATTACH, arg[0] ? atoi(arg) : 1, 0, 0), "ptrace(PTRACE_ATTACH, supervisor)");
  if (!strcmp(a, "process-vm-writev")) {
    char buf[8] = {0};
    struct iovec l = {buf, sizeof buf}, r = {(void*)0x400000, sizeof buf};
    return report(syscall(SYS_process_vm_writev, 1, &l, 1, &r, 1, 0), "process_vm_writev(1)");
  }
  if (!strcmp(a, "mount"))
    return report(mount("none", "/mnt", "tmpfs", 0, NULL), "mount(tmpfs, /mnt)");
  if (!strcmp(a, "unshare-mount"))
    return report(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
  if (!strcmp(a, "setns")) {
    int fd = open("/proc/1/ns/mnt", O_RDONLY);
    if (fd < 0) return report(-1, "open(/proc/1/ns/mnt)");
    return report(setns(fd, CLONE_NEWNS), "setns(/proc/1/ns/mnt)");
  }
  if (!strcmp(a, "userns-unshare"))
    return report(unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)");
  if (!strcmp(a, "userns-clone")) {
    long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    if (r > 0) waitpid((pid_t)r, NULL, 0);
    return report(r, "clone(CLONE_NEWUSER)");
  }
  if (!strcmp(a, "clone3")) {  // must be ENOSYS so libc falls back to the arg-filtered clone
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_NEWUSER;
    ca.exit_signal = SIGCHLD;
    long r = syscall(SYS_clone3, &ca, sizeof ca);
    if (r == 0) _exit(0);
    return report(r, "clone3(CLONE_NEWUSER)");
  }
  if (!strcmp(a, "open-by-handle")) {  // "shocker": open any inode of the host file system
    struct {
      unsigned int handle_bytes;
      int handle_type;
      unsigned char f_handle[8];
    } h = {8, 1, {2, 0, 0, 0, 0, 0, 0, 0}};
    return report(syscall(SYS_open_by_handle_at, AT_FDCWD, &h, O_RDONLY), "open_by_handle_at(root inode)");
  }
  if (!strcmp(a, "keyctl"))  // KEYCTL_GET_KEYRING_ID of the session keyring: the kernel keyring is not namespaced
    return report(syscall(SYS_keyctl, 0, -3, 0, 0, 0), "keyctl(KEYCTL_GET_KEYRING_ID)");
  if (!strcmp(a, "bpf")) {
    char attr[128];
    memset(attr, 0, sizeof attr);
    return report(syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof attr), "bpf(BPF_MAP_CREATE)");
  }
  if (!strcmp(a, "perf-event-open")) {
    char attr[128];
    memset(attr, 0, sizeof attr);
    ((uint32_t*)attr)[1] = 128;  // size
    return report(syscall(SYS_perf_event_open, attr, 0, -1, -1, 0), "perf_event_open");
  }
  if (!strcmp(a, "io-uring")) {
    char params[120];
    memset(params, 0, sizeof params);
    return report(syscall(SYS_io_uring_setup, 4, params), "io_uring_setup");
  }
  if (!strcmp(a, "write-outside"))  // create a file outside the writable paths
    return report(open(arg[0] ? arg : "/etc/confine-escape", O_WRONLY | O_CREAT, 0644), "open(O_CREAT) outside writable paths");
  if (!strcmp(a, "leaked-fd")) {  // the caller had a secret open on this fd
    char buf[64];
    return report(read(atoi(arg), buf, sizeof buf), "read(leaked fd)");
  }
  if (!strcmp(a, "init-fd")) {  // the caller's fd ARG still open in the sandbox's pid 1 (confine's init)?
    DIR* d = opendir("/proc/1/fd");
    if (!d) return report(-1, "opendir(/proc/1/fd)");
    struct dirent* e;
    int found = 0;
    while ((e = readdir(d)))
      if (!strcmp(e->d_name, arg)) found = 1;
    closedir(d);
    errno = ENOENT;
    return report(found ? 0 : -1, "the caller's fd in /proc/1/fd");
  }
  if (!strcmp(a, "proc-exe-overwrite"))  // CVE-2019-5736: write the supervisor's binary through /proc/PID/exe
    return report(open(arg[0] ? arg : "/proc/1/exe", O_WRONLY), "open(/proc/1/exe, O_WRONLY)");
  if (!strcmp(a, "kill-outside"))  // a host process (pid given by the runner)
    return report(kill(atoi(arg), SIGKILL), "kill(host pid, SIGKILL)");
  if (!strcmp(a, "signal-parent"))  // the supervisor that started us
    return report(kill(getppid(), SIGTERM), "kill(getppid(), SIGTERM)");
  if (!strcmp(a, "chroot-escape")) {  // classic: chroot into a subdir, then chdir .. past the root
    mkdir("/tmp/confine-chroot", 0700);
    long r = chroot("/tmp/confine-chroot");
    if (r == 0) {
      for (int i = 0; i < 64; ++i)
        if (chdir("..") != 0) break;
      r = chroot(".");
    }
    return report(r, "chroot + chdir(..) escape");
  }
  if (!strcmp(a, "memfd-exec")) {  // run code that is not on any allowed path
    int fd = (int)syscall(SYS_memfd_create, "x", 0);
    if (fd < 0) return report(-1, "memfd_create");
    int src = open("/bin/true", O_RDONLY);
    char buf[65536];
    ssize_t n;
    while (src >= 0 && (n = read(src, buf, sizeof buf)) > 0)
      if (write(fd, buf, (size_t)n) != n) break;
    char* args[] = {"true", NULL};
    char* envp[] = {NULL};
    syscall(SYS_execveat, fd, "", args, envp, AT_EMPTY_PATH);
    return report(-1, "execveat(memfd, AT_EMPTY_PATH)");
  }
  if (!strcmp(a, "symlink-ro")) {  // a symlink from a writable dir into the read-only tree
    unlink("/tmp/confine-link");
    if (symlink("/etc/passwd", "/tmp/confine-link") != 0) return report(-1, "symlink");
    return report(open("/tmp/confine-link", O_WRONLY | O_APPEND), "open(symlink into ro tree, O_WRONLY)");
  }
  if (!strcmp(a, "core-pattern"))  // /proc/sys/kernel/core_pattern: "|/payload" runs as host root
    return report(open("/proc/sys/kernel/core_pattern", O_WRONLY), "open(/proc/sys/kernel/core_pattern, O_WRONLY)");
  if (!strcmp(a, "sysfs-write"))  // host kernel knobs through /sys
    return report(open(arg[0] ? arg : "/sys/kernel/mm/transparent_hugepage/enabled", O_WRONLY), "open(/sys knob, O_WRONLY)");
  if (!strcmp(a, "setuid-root"))  // become root again after the sandbox dropped us
    return report(setuid(0), "setuid(0)");
  fprintf(stderr, "unknown attack %s\n", a);
  return 2;
}
