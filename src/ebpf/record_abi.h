/* The eBPF recorder's ABI: shared by the BPF program (record.bpf.c, C for
 * clang -target bpf) and its loader (source.cc). Fixed-size C types only. */
#ifndef CONFINE_EBPF_RECORD_ABI_H
#define CONFINE_EBPF_RECORD_ABI_H

#define CONFINE_FLAT_NRS 1024 /* per arch: x86_64, i386, x32 (bit stripped) */
#define CONFINE_FLAT (3 * CONFINE_FLAT_NRS)
#define CONFINE_PATH 1024      /* bytes of a path argument, NUL included */
#define CONFINE_DEPTH 64       /* directory levels of a resolved base (cwd, dirfd, exe) */
#define CONFINE_NAME 256       /* bytes of one directory entry name, NUL included */
#define CONFINE_BASE_USED 1024 /* a base: names leaf first, each NUL-terminated, in this many bytes */
#define CONFINE_BASE (CONFINE_BASE_USED + CONFINE_NAME)
#define CONFINE_BUF 128 /* bytes of a sockaddr / struct argument */
#define CONFINE_NONE 0xff

/* What the program captures for one (arch, nr), set by the loader from the
 * syscall's name (source.cc kSpecs). kind 0: counted only; 1: scalar arguments,
 * an event per distinct masked argument tuple; 2: memory arguments, an event
 * per call. */
struct confine_spec {
  unsigned char kind;
  unsigned char str[2];   /* argument index of a path string, or CONFINE_NONE */
  unsigned char dirfd[2]; /* argument index of str[i]'s dirfd; CONFINE_NONE: the cwd */
  unsigned char buf;      /* argument index of a struct/sockaddr pointer */
  unsigned char buf_len;  /* argument index of its length, or CONFINE_NONE: buf_fixed */
  unsigned char flags;
  unsigned short buf_fixed;
  unsigned short pad[3];
  unsigned long long mask[6]; /* kind 1: the bits of each argument decode() looks at */
};
#define CONFINE_SPEC_CWD 1        /* always resolve the cwd into base[1] (bind of a unix path) */
#define CONFINE_SPEC_SOCKETCALL 2 /* i386 socketcall: buf holds (fd, sockaddr*, len): read the sockaddr */
#define CONFINE_SPEC_EMPTY_PATH 4 /* execveat: an empty path with AT_EMPTY_PATH names dirfd itself */
#define CONFINE_SPEC_FD 8         /* no path: resolve the descriptor dirfd[0] into base[0] (getdents) */

#define CONFINE_EV_SYSCALL 1
#define CONFINE_EV_EXEC 2 /* a task of the workload exec'd: comm in str[0], exe in base[0] */

/* event.flags */
#define CONFINE_EVF_STR_TRUNC0 1 /* str[i] did not fit (or was unreadable: len 0) */
#define CONFINE_EVF_STR_TRUNC1 2
#define CONFINE_EVF_BASE_TRUNC0 4 /* base[i] deeper than CONFINE_DEPTH, or longer than CONFINE_BASE_USED */
#define CONFINE_EVF_BASE_TRUNC1 8
#define CONFINE_EVF_RETRIED 16   /* read at sys_exit: something was unreadable at sys_enter */
#define CONFINE_EVF_EXEC_PATH 32 /* CONFINE_EV_EXEC: str[1] is the execve path (unreadable at sys_enter) */

struct confine_event {
  unsigned int type;
  unsigned int tgid, tid;
  unsigned int arch; /* 0 x86_64, 1 i386, 2 x32 */
  int nr;            /* as seccomp sees it (x32 with its bit) */
  unsigned int flags;
  unsigned long long args[6];
  unsigned long long str_addr[2];
  unsigned long long buf_addr, buf2_addr;
  short str_len[2]; /* bytes read incl. the NUL; <= 0: unreadable */
  short buf_len, buf2_len;
  int base_fd[2];         /* the dirfd base[i] resolves (-100: the cwd); -1000: none */
  unsigned int base_n[2]; /* names in base[i], leaf first; 0: "/" */
  unsigned char buf[CONFINE_BUF];
  unsigned char buf2[CONFINE_BUF];
  char str[2][CONFINE_PATH];
  char base[2][CONFINE_BASE];
};

/* Error counts: key of the errors map. */
struct confine_err_key {
  unsigned int flat;
  int err;
};

/* Indices of the per-CPU stats array. */
#define CONFINE_STAT_LOST 0     /* ring buffer full: an event was dropped */
#define CONFINE_STAT_OTHER_NR 1 /* a syscall number beyond the flat table (counted, not named) */
#define CONFINE_STAT_ERR_LOST 2 /* the errors map was full */
#define CONFINE_STAT_ARMED_AT 3 /* (unused by the loader) */
#define CONFINE_STATS 4

#endif
