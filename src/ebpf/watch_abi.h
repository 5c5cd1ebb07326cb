/* The eBPF watch source's ABI (docs/watch.md "The eBPF source"): shared by the BPF program
 * (watch.bpf.c, C for clang -target bpf) and its loader (watch_source.cc). Fixed-size C
 * types only. Unlike the recorder's program (record_abi.h), this one deduplicates nothing:
 * every call of a wanted syscall is one event at sys_enter and one at sys_exit (evt.res). */
#ifndef CONFINE_EBPF_WATCH_ABI_H
#define CONFINE_EBPF_WATCH_ABI_H

#include "record_abi.h" /* CONFINE_FLAT_NRS, CONFINE_PATH, CONFINE_BASE, CONFINE_NAME, CONFINE_NONE */

#define CONFINE_W_STRS 3    /* string arguments per call (mount: dev, dir, type) */
#define CONFINE_W_ARGV 4096 /* bytes of argv (NUL-separated) at exec */

/* What the program sends for one (arch, nr), set by the loader from the rules. */
struct confine_wspec {
  unsigned char on;                    /* 1: an event per call */
  unsigned char exit;                  /* 1: an exit event with the return value */
  unsigned char str[CONFINE_W_STRS];   /* argument index of a string, or CONFINE_NONE */
  unsigned char dirfd[CONFINE_W_STRS]; /* str[i] is a path: index of its dirfd, 0xfe the cwd, NONE not a path */
  unsigned char buf;                   /* argument index of a struct/sockaddr pointer */
  unsigned char buf_len;               /* argument index of its length, or NONE: buf_fixed */
  unsigned char fd;                    /* argument index of a descriptor to describe (file path or socket) */
  unsigned char pad;
  unsigned short buf_fixed;
  unsigned short pad2;
};
#define CONFINE_W_CWD 0xfe

#define CONFINE_WEV_ENTER 1
#define CONFINE_WEV_EXIT 2
#define CONFINE_WEV_EXEC 3 /* sched_process_exec: the new program */
#define CONFINE_WEV_FORK 4 /* a new process (not a thread): tgid = child, ppid = parent */
#define CONFINE_WEV_GONE 5 /* a task exited (tid); tid == tgid: the process */

/* confine_wenter.flags, confine_wfd.flags */
#define CONFINE_WF_BASE_TRUNC 1 /* a directory walk did not fit (deeper or longer than the buffer) */
#define CONFINE_WF_INTERNAL 2   /* the walk ended at a mount outside the task's tree (memfd, anon inode) */
#define CONFINE_WF_UNLINKED 4   /* the file is deleted */
#define CONFINE_WF_PARENT_LISTENS 8 /* confine_wexec.exe.flags: the parent holds a listening TCP socket */
#define CONFINE_WF_PARENT_SCANNED 16 /* ... its first CONFINE_W_FDSCAN descriptors were all looked at */
#define CONFINE_W_FDSCAN 64

/* confine_whdr.flags */
#define CONFINE_WEV_F_RETRIED 1 /* an enter event sent again at sys_exit (a string was unreadable at sys_enter) */

/* Every event starts with this. */
struct confine_whdr {
  unsigned int type;
  unsigned int tgid, tid, ppid; /* ppid: the real parent's tgid */
  unsigned int uid;
  unsigned int arch; /* 0 x86_64, 1 i386, 2 x32 */
  int nr;            /* as seccomp sees it (x32 with its bit) */
  unsigned int flags;
  unsigned long long cgroup_id;
  unsigned long long ts; /* bpf_ktime_get_boot_ns */
  char comm[16];
};

struct confine_wexit {
  struct confine_whdr h;
  long long res;
};

/* A path the program walked from a dentry up to the task's root: names leaf first, each
 * NUL-terminated (0 names: "/"). */
struct confine_wpath {
  unsigned int n;     /* names */
  unsigned int used;  /* bytes of base used */
  unsigned int flags; /* CONFINE_WF_* */
  int fd;             /* the descriptor it resolves (-100: the cwd; -1000: none) */
  char base[CONFINE_BASE];
};

/* A descriptor argument: what it refers to at sys_enter. */
struct confine_wfd {
  int fd;             /* -1000: none */
  unsigned int mode;  /* inode i_mode (S_IFMT bits tell the kind); 0 when not an open fd */
  unsigned long long ino;
  unsigned int family; /* sockets: AF_INET, AF_INET6, AF_UNIX, ... */
  unsigned int flags;
  unsigned char daddr[16], saddr[16]; /* peer and local address (v4: first 4 bytes) */
  unsigned short dport, sport;        /* host order */
  struct confine_wpath path;          /* a file's path (not sockets, pipes) */
};

struct confine_wenter {
  struct confine_whdr h;
  unsigned long long args[6];
  unsigned long long str_addr[CONFINE_W_STRS];
  unsigned long long buf_addr;
  short str_len[CONFINE_W_STRS]; /* bytes read incl. the NUL; <= 0: unreadable */
  short buf_len;
  int pad;
  struct confine_wfd fd;
  unsigned char buf[CONFINE_BUF];
  char str[CONFINE_W_STRS][CONFINE_PATH];
  struct confine_wpath dir[2]; /* the directory a relative str[0], str[1] resolves against */
};

struct confine_wexec {
  struct confine_whdr h;
  unsigned int argv_len; /* bytes in argv */
  unsigned int old_tid;  /* the thread that called execve (its tid is now tgid) */
  struct confine_wpath exe;
  char argv[CONFINE_W_ARGV];
};

#define CONFINE_WSTAT_LOST 0       /* the ring buffer was full: an event was dropped */
#define CONFINE_WSTAT_LOST_EXIT 1  /* ... of them, exit events (evt.res unknown) */
#define CONFINE_WSTAT_LOST_PROC 2  /* ... of them, exec/fork/exit of a process (proc.* read from /proc) */
#define CONFINE_WSTAT_EVENTS 3     /* events sent */
#define CONFINE_WSTATS 4

#endif
