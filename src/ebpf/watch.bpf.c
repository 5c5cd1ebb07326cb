// SPDX-License-Identifier: GPL-2.0
/* The eBPF source of `confine watch --cgroup PATH | --all` (docs/watch.md "The eBPF
 * source"): one event per call of the syscalls the rules need (the loader fills `wspecs`
 * per (arch, nr)) with its arguments, the strings the fields read (paths with the directory
 * a relative one resolves against, sockaddrs, mount's strings) and what a descriptor
 * argument refers to; an exit event with the return value (evt.res); exec (the new program's
 * path and argv), fork and exit of the workload's processes for the process table. Nothing
 * is deduplicated (unlike record.bpf.c). The workload: a cgroup v2 subtree, or every task
 * except the loader's own process. Every failed ring buffer reservation is counted
 * (wstats): the loader reports them, never silently. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "watch_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define X32_BIT 0x40000000L
#define TS_COMPAT 0x0002
#define AT_FDCWD (-100)
#define NO_FD (-1000)
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFIFO 0010000
#define AF_INET 2
#define AF_INET6 10

const volatile __u32 filter_mode = 0; /* 1 cgroup subtree, 3 every task but self_tgid */
const volatile __u64 cg_id = 0;
const volatile __u32 cg_level = 0;
const volatile __u32 self_tgid = 0; /* the loader's process, as its pid namespace numbers it */
/* The loader's pid namespace level: events carry pids as that namespace numbers them (the loader
 * reads /proc there); 0 (the initial namespace) takes the cheap global ids. */
const volatile __u32 ns_level = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CONFINE_WSTATS);
  __type(key, __u32);
  __type(value, __u64);
} wstats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, CONFINE_FLAT);
  __type(key, __u32);
  __type(value, struct confine_wspec);
} wspecs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 16 << 20); /* the loader sets the size */
} wevents SEC(".maps");

static __always_inline void stat_inc(__u32 i) {
  __u64 *v = bpf_map_lookup_elem(&wstats, &i);
  if (v) *v += 1;
}

static __always_inline void lost(__u32 kind) {
  stat_inc(CONFINE_WSTAT_LOST);
  if (kind) stat_inc(kind);
}

/* A struct pid's number in the loader's namespace; 0 when the task is not in it (an ancestor). */
static __always_inline __u32 pid_nr_ns(struct pid *p) {
  if (!p) return 0;
  unsigned int lvl = BPF_CORE_READ(p, level);
  if (lvl < ns_level) return 0;
  struct upid up = {};
  if (bpf_probe_read_kernel(&up, sizeof up, &p->numbers[ns_level & 31])) return 0;
  return up.nr;
}
static __always_inline __u32 tgid_ns(struct task_struct *t) { return pid_nr_ns(BPF_CORE_READ(t, group_leader, thread_pid)); }
static __always_inline __u32 tid_ns(struct task_struct *t) { return pid_nr_ns(BPF_CORE_READ(t, thread_pid)); }

/* Inside a pid namespace, only its tasks (the ones its /proc shows) are in scope. */
static __always_inline int in_scope(void) {
  if (filter_mode == 1) {
    if (bpf_get_current_ancestor_cgroup_id(cg_level) != cg_id) return 0;
    return !ns_level || tgid_ns(bpf_get_current_task_btf()) != 0;
  }
  if (filter_mode == 3) {
    if (!ns_level) return (bpf_get_current_pid_tgid() >> 32) != self_tgid;
    __u32 t = tgid_ns(bpf_get_current_task_btf());
    return t != 0 && t != self_tgid;
  }
  return 0;
}

static __always_inline __u32 arch_of(long id) {
  if (id & X32_BIT) return 2;
  struct task_struct *t = bpf_get_current_task_btf();
  if (t->thread_info.status & TS_COMPAT) return 1;
  return 0;
}

/* As record.bpf.c: wake the reader only when the ring is an eighth full; it drains every
 * 10 ms on its own (watch_source.cc). */
static __always_inline __u64 submit_flags(void) {
  __u64 avail = bpf_ringbuf_query(&wevents, BPF_RB_AVAIL_DATA);
  __u64 size = bpf_ringbuf_query(&wevents, BPF_RB_RING_SIZE);
  return avail >= size / 8 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline void fill_hdr(struct confine_whdr *h, __u32 type) {
  __u64 pt = bpf_get_current_pid_tgid();
  struct task_struct *t = bpf_get_current_task_btf();
  h->type = type;
  if (ns_level) {
    h->tgid = tgid_ns(t);
    h->tid = tid_ns(t);
    h->ppid = tgid_ns(BPF_CORE_READ(t, real_parent));
  } else {
    h->tgid = pt >> 32;
    h->tid = (__u32)pt;
    h->ppid = BPF_CORE_READ(t, real_parent, tgid);
  }
  h->uid = (__u32)bpf_get_current_uid_gid();
  h->arch = 0;
  h->nr = 0;
  h->flags = 0;
  h->cgroup_id = bpf_get_current_cgroup_id();
  h->ts = bpf_ktime_get_boot_ns();
  bpf_get_current_comm(h->comm, sizeof h->comm);
}

/* Names from (d, m) up to the task's root, leaf first, into p (as record.bpf.c's walk: a
 * global function, checked once by the verifier; the write offset goes through p->used).
 * A pseudo file (memfd, anon inode: its dentry is its own parent and not a mount's root)
 * gives its one name, flagged CONFINE_WF_INTERNAL. */
__noinline int wwalk(struct confine_wpath *p, __u64 d_, __u64 m_) {
  if (!p) return -1;
  struct task_struct *t = bpf_get_current_task_btf();
  struct dentry *root_d = BPF_CORE_READ(t, fs, root.dentry);
  struct vfsmount *root_m = BPF_CORE_READ(t, fs, root.mnt);
  struct dentry *d = (struct dentry *)d_;
  struct vfsmount *m = (struct vfsmount *)m_;
  struct mount *mnt = container_of(m, struct mount, mnt);
  p->n = 0;
  p->used = 0;
  if (!d) return -1;
  if (!BPF_CORE_READ(d, d_hash.pprev) && BPF_CORE_READ(d, d_parent) != d) p->flags |= CONFINE_WF_UNLINKED;
  for (int i = 0; i < CONFINE_DEPTH; i++) {
    if (d == root_d && m == root_m) return 0;
    struct dentry *par = BPF_CORE_READ(d, d_parent);
    if (d == BPF_CORE_READ(m, mnt_root)) {
      struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
      if (parent == mnt) {
        if (p->n == 0) p->flags |= CONFINE_WF_INTERNAL;
        return 0; /* above the task's root: the namespace's root */
      }
      d = BPF_CORE_READ(mnt, mnt_mountpoint);
      mnt = parent;
      m = &parent->mnt;
      continue;
    }
    const unsigned char *name = BPF_CORE_READ(d, d_name.name);
    __u32 pos = p->used;
    if (pos > CONFINE_BASE_USED) return -1;
    long r = bpf_probe_read_kernel_str(&p->base[pos], CONFINE_NAME, name);
    if (r <= 0) return -1;
    p->used = pos + r;
    p->n += 1;
    if (par == d) {
      if (i == 0) p->flags |= CONFINE_WF_INTERNAL;
      return 0;
    }
    d = par;
  }
  return -1;
}

static __always_inline void walk_into(struct confine_wpath *p, struct dentry *d, struct vfsmount *m) {
  if (wwalk(p, (__u64)d, (__u64)m) < 0) p->flags |= CONFINE_WF_BASE_TRUNC;
}

static __always_inline struct file *file_of(int fd) {
  struct task_struct *t = bpf_get_current_task_btf();
  struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  if (fd < 0 || (unsigned int)fd >= max) return 0;
  struct file **arr = BPF_CORE_READ(fdt, fd);
  struct file *f = 0;
  bpf_probe_read_kernel(&f, sizeof f, &arr[fd]);
  return f;
}

static __always_inline void resolve_dir(struct confine_wpath *p, int fd) {
  struct task_struct *t = bpf_get_current_task_btf();
  p->fd = fd;
  if (fd == AT_FDCWD) {
    walk_into(p, BPF_CORE_READ(t, fs, pwd.dentry), BPF_CORE_READ(t, fs, pwd.mnt));
    return;
  }
  struct file *f = file_of(fd);
  if (!f) {
    p->fd = NO_FD;
    return;
  }
  walk_into(p, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
}

static __always_inline void describe_fd(struct confine_wfd *o, int fd) {
  o->fd = fd;
  struct file *f = file_of(fd);
  if (!f) return;
  struct inode *ino = BPF_CORE_READ(f, f_inode);
  o->mode = BPF_CORE_READ(ino, i_mode);
  o->ino = BPF_CORE_READ(ino, i_ino);
  __u32 fmt = o->mode & S_IFMT;
  if (fmt == S_IFSOCK) {
    struct socket *s = (struct socket *)BPF_CORE_READ(f, private_data);
    struct sock *sk = BPF_CORE_READ(s, sk);
    if (!sk) return;
    o->family = BPF_CORE_READ(sk, __sk_common.skc_family);
    o->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
    o->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    if (o->family == AF_INET) {
      __u32 da = BPF_CORE_READ(sk, __sk_common.skc_daddr), sa = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
      __builtin_memcpy(o->daddr, &da, 4);
      __builtin_memcpy(o->saddr, &sa, 4);
    } else if (o->family == AF_INET6) {
      BPF_CORE_READ_INTO(&o->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
      BPF_CORE_READ_INTO(&o->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
    }
    return;
  }
  if (fmt == S_IFIFO && BPF_CORE_READ(f, f_path.dentry, d_parent) == BPF_CORE_READ(f, f_path.dentry)) return;
  o->path.fd = fd;
  walk_into(&o->path, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
}

static __always_inline void read_str(struct confine_wenter *e, int slot, const struct confine_wspec *sp, __u32 arch) {
  if (slot < 0 || slot >= CONFINE_W_STRS) return;
  __u8 si = sp->str[slot];
  if (si > 5) return;
  __u64 addr = e->args[si];
  if (arch) addr &= 0xffffffffULL;
  if (!addr) return;
  e->str_addr[slot] = addr;
  long r = bpf_probe_read_user_str(e->str[slot], CONFINE_PATH, (const void *)addr);
  e->str_len[slot] = r;
  if (r <= 0 || slot > 1) return;
  __u8 di = sp->dirfd[slot];
  if (di == CONFINE_NONE || e->str[slot][0] == '/') return;
  int fd = AT_FDCWD;
  if (di <= 5) fd = (int)e->args[di];
  resolve_dir(&e->dir[slot & 1], fd);
}

/* A string or struct unreadable at sys_enter (its page not faulted in yet: the tracepoint cannot
 * fault) is read again at sys_exit, after the call brought it in: the enter event is sent again
 * then, flagged CONFINE_WEV_F_RETRIED (the reader replaces the first one). Not after a
 * successful execve (its old memory is gone: sched_process_exec forgets the retry). */
struct wretry {
  __u64 a[6];
  long id;
  __u32 arch, flat;
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8192);
  __type(key, __u32);
  __type(value, struct wretry);
} wretries SEC(".maps");
__s64 nretry = 0;

static __always_inline void send_enter(__u32 arch, long id, __u32 flat, const struct confine_wspec *sp,
                                       const __u64 *a, int retry) {
  struct confine_wenter *e = bpf_ringbuf_reserve(&wevents, sizeof(*e), 0);
  if (!e) {
    lost(0);
    return;
  }
  fill_hdr(&e->h, CONFINE_WEV_ENTER);
  e->h.arch = arch;
  e->h.nr = (int)id;
  e->h.flags = retry ? CONFINE_WEV_F_RETRIED : 0;
  for (int i = 0; i < 6; i++) e->args[i] = a[i];
  for (int i = 0; i < CONFINE_W_STRS; i++) e->str_addr[i] = 0, e->str_len[i] = 0;
  e->buf_addr = 0;
  e->buf_len = 0;
  e->pad = 0;
  for (int i = 0; i < 2; i++) e->dir[i].n = 0, e->dir[i].used = 0, e->dir[i].flags = 0, e->dir[i].fd = NO_FD;
  e->fd.fd = NO_FD;
  e->fd.mode = 0;
  e->fd.ino = 0;
  e->fd.family = 0;
  e->fd.flags = 0;
  e->fd.dport = e->fd.sport = 0;
  __builtin_memset(e->fd.daddr, 0, sizeof e->fd.daddr);
  __builtin_memset(e->fd.saddr, 0, sizeof e->fd.saddr);
  e->fd.path.n = e->fd.path.used = e->fd.path.flags = 0;
  e->fd.path.fd = NO_FD;
  read_str(e, 0, sp, arch);
  read_str(e, 1, sp, arch);
  read_str(e, 2, sp, arch);
  if (sp->buf <= 5) {
    __u64 addr = e->args[sp->buf & 7];
    if (arch) addr &= 0xffffffffULL;
    __u64 len = sp->buf_fixed;
    if (sp->buf_len <= 5) len = (__u32)e->args[sp->buf_len & 7];
    if (len > CONFINE_BUF) len = CONFINE_BUF;
    e->buf_addr = addr;
    if (addr && len) e->buf_len = bpf_probe_read_user(e->buf, len, (const void *)addr) == 0 ? len : -1;
  }
  if (sp->fd <= 5) describe_fd(&e->fd, (int)e->args[sp->fd & 7]);
  int unreadable = e->buf_len < 0;
  for (int i = 0; i < CONFINE_W_STRS; i++)
    if (e->str_addr[i] && e->str_len[i] <= 0) unreadable = 1;
  if (unreadable && !retry) {
    struct wretry r = {.id = id, .arch = arch, .flat = flat};
    for (int i = 0; i < 6; i++) r.a[i] = a[i];
    __u32 tid = e->h.tid;
    if (bpf_map_update_elem(&wretries, &tid, &r, BPF_ANY) == 0) __sync_fetch_and_add(&nretry, 1);
  }
  bpf_ringbuf_submit(e, submit_flags());
}

SEC("tp_btf/sys_enter")
int BPF_PROG(w_enter, struct pt_regs *regs, long id) {
  if (!in_scope()) return 0;
  __u32 arch = arch_of(id);
  __u64 n = (__u64)id & ~(__u64)X32_BIT;
  if (id < 0 || n >= CONFINE_FLAT_NRS) return 0;
  __u32 flat = arch * CONFINE_FLAT_NRS + (__u32)n;
  struct confine_wspec *sp = bpf_map_lookup_elem(&wspecs, &flat);
  if (!sp || !sp->on) return 0;
  __u64 a[6];
  if (arch == 1) {
    a[0] = regs->bx, a[1] = regs->cx, a[2] = regs->dx, a[3] = regs->si, a[4] = regs->di, a[5] = regs->bp;
  } else {
    a[0] = regs->di, a[1] = regs->si, a[2] = regs->dx, a[3] = regs->r10, a[4] = regs->r8, a[5] = regs->r9;
  }
  send_enter(arch, id, flat, sp, a, 0);
  return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(w_exit, struct pt_regs *regs, long ret) {
  if (nretry > 0) {
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    struct wretry *rp = bpf_map_lookup_elem(&wretries, &tid);
    if (rp) {
      struct wretry r = *rp;
      bpf_map_delete_elem(&wretries, &tid);
      __sync_fetch_and_add(&nretry, -1);
      __u32 flat = r.flat % CONFINE_FLAT;
      struct confine_wspec *sp = bpf_map_lookup_elem(&wspecs, &flat);
      if (sp && sp->on) send_enter(r.arch, r.id, flat, sp, r.a, 1);
    }
  }
  if (!in_scope()) return 0;
  long id = regs->orig_ax;
  __u32 arch = arch_of(id);
  __u64 n = (__u64)id & ~(__u64)X32_BIT;
  if (id < 0 || n >= CONFINE_FLAT_NRS) return 0;
  __u32 flat = arch * CONFINE_FLAT_NRS + (__u32)n;
  struct confine_wspec *sp = bpf_map_lookup_elem(&wspecs, &flat);
  if (!sp || !sp->on || !sp->exit) return 0;
  struct confine_wexit *e = bpf_ringbuf_reserve(&wevents, sizeof(*e), 0);
  if (!e) {
    lost(CONFINE_WSTAT_LOST_EXIT);
    return 0;
  }
  fill_hdr(&e->h, CONFINE_WEV_EXIT);
  e->h.arch = arch;
  e->h.nr = (int)id;
  e->res = ret;
  bpf_ringbuf_submit(e, submit_flags());
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(w_fork, struct task_struct *parent, struct task_struct *child) {
  __u32 ptgid = parent->tgid, ctgid = child->tgid;
  if (ptgid == ctgid || !in_scope()) return 0;
  struct confine_whdr *h = bpf_ringbuf_reserve(&wevents, sizeof(*h), 0);
  if (!h) {
    lost(CONFINE_WSTAT_LOST_PROC);
    return 0;
  }
  fill_hdr(h, CONFINE_WEV_FORK);
  if (ns_level) {
    h->tgid = tgid_ns(child);
    h->tid = tid_ns(child);
    h->ppid = tgid_ns(parent);
  } else {
    h->tgid = ctgid;
    h->tid = child->pid;
    h->ppid = ptgid;
  }
  bpf_ringbuf_submit(h, submit_flags());
  return 0;
}

/* proc.pis_server: whether the parent holds a listening TCP socket among its first
 * CONFINE_W_FDSCAN descriptors, looked at in the kernel at exec (the parent may be gone by the
 * time the reader would look in /proc). */
static __always_inline __u32 parent_listens(struct task_struct *p) {
  struct task_struct *par = BPF_CORE_READ(p, real_parent);
  struct fdtable *fdt = BPF_CORE_READ(par, files, fdt);
  if (!fdt) return 0;
  unsigned int max = BPF_CORE_READ(fdt, max_fds);
  struct file **arr = BPF_CORE_READ(fdt, fd);
  __u32 flags = max <= CONFINE_W_FDSCAN ? CONFINE_WF_PARENT_SCANNED : 0;
  for (int i = 0; i < CONFINE_W_FDSCAN; i++) {
    if ((unsigned int)i >= max) break;
    struct file *f = 0;
    bpf_probe_read_kernel(&f, sizeof f, &arr[i]);
    if (!f) continue;
    __u32 mode = BPF_CORE_READ(f, f_inode, i_mode);
    if ((mode & S_IFMT) != S_IFSOCK) continue;
    struct socket *s = (struct socket *)BPF_CORE_READ(f, private_data);
    struct sock *sk = BPF_CORE_READ(s, sk);
    if (!sk) continue;
    __u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
    __u8 st = BPF_CORE_READ(sk, __sk_common.skc_state);
    __u16 proto = BPF_CORE_READ(sk, sk_protocol);
    if ((fam == AF_INET || fam == AF_INET6) && proto == 6 /* TCP */ && st == 10 /* TCP_LISTEN */)
      return CONFINE_WF_PARENT_LISTENS | CONFINE_WF_PARENT_SCANNED;
  }
  return flags;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(w_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
  if (!in_scope()) return 0;
  struct confine_wexec *e = bpf_ringbuf_reserve(&wevents, sizeof(*e), 0);
  if (!e) {
    lost(CONFINE_WSTAT_LOST_PROC);
    return 0;
  }
  fill_hdr(&e->h, CONFINE_WEV_EXEC);
  /* old_pid is global: as the namespace numbers it only when it is the caller's own (the
   * leader exec'd); a non-leader's is unknown (0). */
  e->old_tid = !ns_level ? (__u32)old_pid : (__u32)old_pid == (__u32)bpf_get_current_pid_tgid() ? e->h.tid : 0;
  __u32 old_tid = old_pid;
  if (nretry > 0 && bpf_map_delete_elem(&wretries, &old_tid) == 0) __sync_fetch_and_add(&nretry, -1);
  e->exe.flags = 0;
  e->exe.fd = NO_FD;
  struct file *f = BPF_CORE_READ(bprm, file);
  walk_into(&e->exe, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
  e->exe.flags |= parent_listens(p);
  struct mm_struct *mm = BPF_CORE_READ(p, mm);
  __u64 start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
  __u64 len = end > start ? end - start : 0;
  if (len > CONFINE_W_ARGV) len = CONFINE_W_ARGV;
  e->argv_len = 0;
  if (len && bpf_probe_read_user(e->argv, len, (const void *)start) == 0) e->argv_len = len;
  bpf_ringbuf_submit(e, submit_flags());
  return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(w_gone, struct task_struct *p) {
  if (!in_scope()) return 0;
  struct confine_whdr *h = bpf_ringbuf_reserve(&wevents, sizeof(*h), 0);
  if (!h) {
    lost(CONFINE_WSTAT_LOST_PROC);
    return 0;
  }
  fill_hdr(h, CONFINE_WEV_GONE);
  bpf_ringbuf_submit(h, submit_flags());
  return 0;
}
