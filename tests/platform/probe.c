// Platform probes (see probe.h). Each probe runs once per process, in a
// forked child, before and outside any confinement the test sets up.
#define _GNU_SOURCE
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

typedef enum confine_probe_result result_t;

__attribute__((format(printf, 3, 4))) static void say(char* out, size_t len, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (out && len) vsnprintf(out, len, fmt, ap);
  va_end(ap);
}

// A child that dies must not dump core nor be caught by a sanitizer's handler (ASan's
// signal() interceptor ignores SIG_DFL for SIGSEGV: the raw syscall does not).
static void plain_child(void) {
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  struct {
    void* handler;
    unsigned long flags;
    void* restorer;
    unsigned long mask;
  } dfl = {SIG_DFL, 0, NULL, 0};
  const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i) syscall(SYS_rt_sigaction, sigs[i], &dfl, NULL, 8);
}

static result_t probe_int80(char* why, size_t len) {
#if defined(__x86_64__)
  pid_t pid = fork();
  if (pid < 0) {
    say(why, len, "fork: %s", strerror(errno));
    return CONFINE_PROBE_ERROR;
  }
  if (pid == 0) {
    plain_child();
    long ret;
    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(20L)
                     : "memory", "r8", "r9", "r10", "r11", "cc");  // i386 getpid
    _exit(ret == syscall(SYS_getpid) ? 0 : 1);
  }
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) {
    say(why, len, "waitpid: %s", strerror(errno));
    return CONFINE_PROBE_ERROR;
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return CONFINE_PROBE_PRESENT;
  if (WIFSIGNALED(st))
    say(why, len, "int $0x80 from a 64-bit process is killed by SIG%s: %s",
        sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?",
        WTERMSIG(st) == SIGSEGV
            ? "no IA32 emulation in this kernel (CONFIG_IA32_EMULATION off or ia32_emulation=0)"
            : "the i386 ABI is refused here (e.g. a seccomp filter without it)");
  else
    say(why, len, "int $0x80 getpid did not return the pid (child exit %d)", WEXITSTATUS(st));
  return CONFINE_PROBE_ABSENT;
#else
  say(why, len, "not an x86_64 machine");
  return CONFINE_PROBE_ABSENT;
#endif
}

// Runs argv with stdout/stderr to `log`; returns the wait status or -1.
static int run(char* const argv[], const char* log) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  int st = 0;
  return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void first_line(const char* path, char* buf, size_t len) {
  buf[0] = 0;
  FILE* f = fopen(path, "r");
  if (!f) return;
  if (fgets(buf, (int)len, f)) buf[strcspn(buf, "\n")] = 0;
  fclose(f);
}

// Builds a static i386 ELF (gcc -m32, no libc) that exits 42 through int $0x80, and execs it.
static result_t probe_i386_exec(char* why, size_t len) {
  const char* tmp = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/confine-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    say(why, len, "mkdtemp %s: %s", dir, strerror(errno));
    return CONFINE_PROBE_ERROR;
  }
  char src[4200], bin[4200], log[4200], line[256];
  snprintf(src, sizeof src, "%s/t.c", dir);
  snprintf(bin, sizeof bin, "%s/t", dir);
  snprintf(log, sizeof log, "%s/log", dir);
  result_t r = CONFINE_PROBE_ERROR;
  FILE* f = fopen(src, "w");
  if (!f) {
    say(why, len, "cannot write %s: %s", src, strerror(errno));
    goto out;
  }
  fputs("void _start(void) { __asm__ volatile(\"int $0x80\" : : \"a\"(1), \"b\"(42)); for (;;) {} }\n", f);
  fclose(f);
  {
    char* cc[] = {"gcc", "-m32", "-O1", "-static", "-nostdlib", "-fno-pie", "-no-pie", "-o", bin, src, NULL};
    int st = run(cc, log);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      first_line(log, line, sizeof line);
      if (!line[0])
        snprintf(line, sizeof line, "%s",
                 st == -1 ? "fork failed" : "gcc exited without a message (not installed?)");
      say(why, len, "gcc -m32 -static -nostdlib failed (gcc-multilib, installed by `make deps-test`): %s",
          line);
      goto out;
    }
  }
  {
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) != 0) {
      say(why, len, "pipe2: %s", strerror(errno));
      goto out;
    }
    pid_t pid = fork();
    if (pid == 0) {
      plain_child();
      char* argv[] = {bin, NULL};
      execv(bin, argv);
      int e = errno;
      (void)!write(ep[1], &e, sizeof e);
      _exit(127);
    }
    close(ep[1]);
    int e = 0, st = 0;
    ssize_t n = pid > 0 ? read(ep[0], &e, sizeof e) : -1;
    close(ep[0]);
    if (pid < 0 || waitpid(pid, &st, 0) != pid) {
      say(why, len, "fork/waitpid: %s", strerror(errno));
      goto out;
    }
    r = CONFINE_PROBE_ABSENT;
    if (n == (ssize_t)sizeof e)
      say(why, len, "exec of an i386 ELF fails with %s: no IA32 emulation in this kernel",
          strerrorname_np(e) ? strerrorname_np(e) : "?");
    else if (WIFSIGNALED(st))
      say(why, len, "an i386 ELF is killed by SIG%s at start",
          sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
    else if (WEXITSTATUS(st) != 42)
      say(why, len, "an i386 ELF that exits 42 exited %d", WEXITSTATUS(st));
    else
      r = CONFINE_PROBE_PRESENT;
  }
out:
  unlink(src);
  unlink(bin);
  unlink(log);
  rmdir(dir);
  return r;
}

// CONFINE_TEST_ABSENT: comma-separated feature names forced absent.
static int forced_absent(const char* feature) {
  const char* v = getenv("CONFINE_TEST_ABSENT");
  size_t n = strlen(feature);
  while (v && *v) {
    size_t w = strcspn(v, ",");
    if (w == n && strncmp(v, feature, n) == 0) return 1;
    v += w;
    if (*v == ',') ++v;
  }
  return 0;
}

static struct {
  const char* name;
  result_t (*probe)(char*, size_t);
  int done;
  result_t result;
  char reason[512];
} probes[] = {
    {"int80", probe_int80, 0, CONFINE_PROBE_ERROR, ""},
    {"i386-exec", probe_i386_exec, 0, CONFINE_PROBE_ERROR, ""},
};

result_t confine_probe(const char* feature, char* reason, size_t reason_len) {
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; ++i) {
    if (strcmp(probes[i].name, feature) != 0) continue;
    if (!probes[i].done) {
      if (forced_absent(feature)) {
        probes[i].result = CONFINE_PROBE_ABSENT;
        snprintf(probes[i].reason, sizeof probes[i].reason, "forced absent by CONFINE_TEST_ABSENT=%s",
                 getenv("CONFINE_TEST_ABSENT"));
      } else {
        probes[i].result = probes[i].probe(probes[i].reason, sizeof probes[i].reason);
      }
      probes[i].done = 1;
    }
    if (reason && reason_len) snprintf(reason, reason_len, "%s", probes[i].reason);
    return probes[i].result;
  }
  if (reason && reason_len)
    snprintf(reason, reason_len, "unknown platform feature '%s' (known: int80, i386-exec)", feature);
  return CONFINE_PROBE_ERROR;
}
