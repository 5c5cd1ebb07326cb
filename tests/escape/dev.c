// Filesystem and device escape attempts (issue 11): host devices, masks,
// writable binds, IPC through /dev/shm. Each mode makes one attempt and prints
// one line "RESULT <outcome>": OPEN / WROTE / ... when the attack got through,
// an errno name (or EMPTY / NONE) when it was refused. A crash prints nothing,
// so the suite counts it as neither blocked nor escaped.
// usage: dev ATTACK [ARG]
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char* ename(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EROFS: return "EROFS";
    case EXDEV: return "EXDEV";
    case ENXIO: return "ENXIO";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENOTTY: return "ENOTTY";
    case EEXIST: return "EEXIST";
    default: return strerror(e);
  }
}

static int fail(const char* what) {
  int e = errno;
  printf("RESULT %s (%s)\n", ename(e), what);
  return 0;
}

// Opening the node at all is the escape (we never write a disk or a console).
static int open_node(const char* path, int flags) {
  int fd = open(path, flags | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return fail(path);
  printf("RESULT OPEN %s\n", path);
  close(fd);
  return 0;
}

// mknod a node in a writable bind, then open it: either step refused = blocked.
static int mknod_open(const char* dir, const char* name, mode_t mode, dev_t rdev) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  unlink(p);
  if (mknod(p, mode, rdev) != 0) return fail("mknod");
  int fd = open(p, O_RDWR | O_CLOEXEC);
  int e = errno;
  unlink(p);
  if (fd < 0) {
    errno = e;
    return fail("open of the node made in the bind");
  }
  printf("RESULT OPEN %s node %u:%u made in %s\n", S_ISBLK(mode) ? "block" : "char", major(rdev), minor(rdev),
         dir);
  close(fd);
  return 0;
}

// The block device holding "/" (want_root), else any other one.
static int find_block(char* out, size_t n, int want_root) {
  struct stat root, st;
  if (stat("/", &root) != 0) return -1;
  DIR* d = opendir("/dev");
  if (!d) return -1;
  struct dirent* e;
  int found = -1;
  while ((e = readdir(d))) {
    char p[512];
    snprintf(p, sizeof p, "/dev/%s", e->d_name);
    if (lstat(p, &st) != 0 || !S_ISBLK(st.st_mode)) continue;
    if ((st.st_rdev == root.st_dev) != want_root) continue;
    snprintf(out, n, "%s", p);
    found = 0;
    break;
  }
  closedir(d);
  return found;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ATTACK [ARG]\n", argv[0]);
    return 2;
  }
  const char* a = argv[1];
  const char* arg = argc > 2 ? argv[2] : "";
  setvbuf(stdout, NULL, _IONBF, 0);

  if (!strcmp(a, "blockdev")) {
    // A host block device that is not mounted (loop, zram), read-write: a
    // filesystem made and mounted on it, or another sandbox's data read back.
    // (The disk holding "/" itself is refused by this host's device cgroup even
    // to root, so the control could not get through: not used.)
    char p[512];
    if (find_block(p, sizeof p, 0) != 0) {
      printf("RESULT NONE (no block device visible)\n");
      return 0;
    }
    return open_node(p, O_RDWR);
  }
  if (!strcmp(a, "mknod-bind"))  // /dev/null's twin
    return mknod_open(arg, "node", S_IFCHR | 0666, makedev(1, 3));
  if (!strcmp(a, "mknod-block")) {  // a host block device's twin
    char host[512];
    struct stat st;
    // Inside the private /dev there is none to copy: loop0's number then.
    if (find_block(host, sizeof host, 0) != 0 || stat(host, &st) != 0) st.st_rdev = makedev(7, 0);
    return mknod_open(arg, "disk", S_IFBLK | 0600, st.st_rdev);
  }
  if (!strcmp(a, "kmsg-write")) {  // forge a kernel log line
    int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail("/dev/kmsg");
    const char* m = "<6>confine-escape-test: forged kernel log line (harmless)\n";
    if (write(fd, m, strlen(m)) < 0) return fail("write /dev/kmsg");
    printf("RESULT WROTE /dev/kmsg\n");
    return 0;
  }
  if (!strcmp(a, "userfaultfd-dev")) {  // userfaultfd without the syscall
    int fd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
    if (fd < 0) return fail("/dev/userfaultfd");
    int u = ioctl(fd, _IO(0xAA, 0x00), O_CLOEXEC);  // USERFAULTFD_IOC_NEW
    if (u < 0) return fail("USERFAULTFD_IOC_NEW");
    printf("RESULT UFFD fd=%d\n", u);
    return 0;
  }
  if (!strcmp(a, "tty1")) return open_node("/dev/tty1", O_RDWR);
  if (!strcmp(a, "console")) return open_node("/dev/console", O_WRONLY);
  if (!strcmp(a, "loop-control")) return open_node("/dev/loop-control", O_RDWR);
  if (!strcmp(a, "vcs")) return open_node("/dev/vcs", O_RDONLY);  // the text console's screen
  if (!strcmp(a, "proc-read") || !strcmp(a, "sys-list")) {
    // proc-read FILE: read bytes from a masked /proc file; sys-list DIR: list it.
    if (!strcmp(a, "proc-read")) {
      int fd = open(arg, O_RDONLY | O_CLOEXEC);
      if (fd < 0) return fail(arg);
      char b[64];
      ssize_t n = read(fd, b, sizeof b);
      if (n < 0) return fail("read");
      if (n == 0) {
        printf("RESULT EMPTY %s\n", arg);
        return 0;
      }
      printf("RESULT READ %zd bytes of %s\n", n, arg);
      return 0;
    }
    DIR* d = opendir(arg);
    if (!d) return fail(arg);
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) ++n;
    closedir(d);
    if (n == 0)
      printf("RESULT EMPTY %s\n", arg);
    else
      printf("RESULT LISTED %d entries of %s\n", n, arg);
    return 0;
  }
  if (!strcmp(a, "shm-read")) {  // a host process's POSIX shared memory
    int fd = open(arg, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == EROFS) fd = open(arg, O_RDONLY | O_CLOEXEC);  // reading it is enough
    if (fd < 0) return fail(arg);
    char b[64] = {0};
    ssize_t n = read(fd, b, sizeof b - 1);
    if (n < 0) return fail("read");
    printf("RESULT OPEN %s: %s\n", arg, b);
    return 0;
  }
  if (!strcmp(a, "shm-plant")) {  // leave a file for the host in /dev/shm
    int fd = open(arg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(arg);
    printf("RESULT CREATED %s\n", arg);  // the suite checks whether the host sees it
    return 0;
  }
  if (!strcmp(a, "pts-host")) {  // another session's terminal (a host pty)
    DIR* d = opendir("/dev/pts");
    if (!d) return fail("/dev/pts");
    struct dirent* e;
    while ((e = readdir(d))) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      char p[300];
      snprintf(p, sizeof p, "/dev/pts/%s", e->d_name);
      int fd = open(p, O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (fd >= 0) {
        printf("RESULT OPEN %s\n", p);
        closedir(d);
        return 0;
      }
    }
    closedir(d);
    printf("RESULT NONE (no pty of another session)\n");
    return 0;
  }
  if (!strcmp(a, "link-out")) {  // hard link a file from outside into a writable bind
    // arg = "OUTSIDE_FILE:BIND_DIR"
    char src[512], dst[600];
    snprintf(src, sizeof src, "%s", arg);
    char* c = strchr(src, ':');
    if (!c) return 2;
    *c = 0;
    snprintf(dst, sizeof dst, "%s/linked", c + 1);
    unlink(dst);
    if (link(src, dst) != 0) return fail("link");
    printf("RESULT LINKED %s -> %s\n", src, dst);
    unlink(dst);
    return 0;
  }
  if (!strcmp(a, "rename-out")) {  // move a file out of the bind into the read-only rest
    char src[512], dst[600];
    snprintf(src, sizeof src, "%s", arg);
    char* c = strchr(src, ':');
    if (!c) return 2;
    *c = 0;
    snprintf(dst, sizeof dst, "%s", c + 1);
    if (rename(src, dst) != 0) return fail("rename");
    printf("RESULT RENAMED %s -> %s\n", src, dst);
    rename(dst, src);
    return 0;
  }
  fprintf(stderr, "unknown attack %s\n", a);
  return 2;
}
