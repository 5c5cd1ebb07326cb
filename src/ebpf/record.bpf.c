// SPDX-License-Identifier: GPL-2.0
/* The eBPF recorder (docs/record.md "The ebpf backend"): every syscall of one
 * workload counted by (arch, nr) in a per-CPU array, failed ones by errno, and
 * the memory arguments the recorder decodes (paths, sockaddrs, structs) sent
 * through a ring buffer with the directories relative paths resolve against.
 * The workload is a cgroup v2 subtree (the task's ancestor at cg_level is
 * cg_id) or a set of thread-group ids that follows fork. Every ring buffer
 * reservation that fails is counted (stats[CONFINE_STAT_LOST]): the loader
 * marks such a recording partial. Built with clang -target bpf against a
 * vmlinux.h that the build generates from /sys/kernel/btf/vmlinux (CO-RE). */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "record_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define X32_BIT 0x40000000L
#define TS_COMPAT 0x0002
#define AT_FDCWD (-100)
#define AT_EMPTY_PATH 0x1000
#define NO_FD (-1000)

const volatile __u32 filter_mode = 0; /* 1 cgroup subtree, 2 tgid set */
const volatile __u64 cg_id = 0;
const volatile __u32 cg_level = 0;
const volatile __u32 gate = 0; /* record from the first execve by a task whose comm is gate_comm */
const volatile char gate_comm[16] = {};
const volatile __u32 count_errors = 1;

__u32 armed = 0;

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CONFINE_FLAT);
  __type(key, __u32);
  __type(value, __u64);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, CONFINE_STATS);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, CONFINE_FLAT);
  __type(key, __u32);
  __type(value, struct confine_spec);
} specs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 16 << 20); /* the loader sets the size */
} events SEC(".maps");

struct scalar_key {
  __u32 flat, pad;
  __u64 v[6];
};
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct scalar_key);
  __type(value, __u8);
} seen SEC(".maps");

/* Before the LRU map: a per-CPU direct-mapped cache of tuples already in it (fcntl is 117,760
 * of find's calls with three distinct tuples). A slot holds only a tuple that was sent (or
 * counted lost): a hit skips nothing the LRU map would not skip. pad = 1 marks a filled slot. */
#define RECENT_SLOTS 256
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, RECENT_SLOTS);
  __type(key, __u32);
  __type(value, struct scalar_key);
} recent SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, struct confine_err_key);
  __type(value, __u64);
} errors SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64); /* arch << 32 | nr */
  __type(value, __u64);
} other_counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, __u8);
} tgids SEC(".maps");

static __always_inline void stat_inc(__u32 i) {
  __u64 *v = bpf_map_lookup_elem(&stats, &i);
  if (v) *v += 1;
}

/* The task's cgroup v2 read through its BTF pointers (no helper call, no RCU section: the
 * common case, a task in the recording's own leaf cgroup, costs four loads); a task deeper than
 * the recording's cgroup asks the helper for its ancestor at that level. */
static __always_inline int in_workload_task(struct task_struct *t) {
  if (filter_mode == 1) {
    struct cgroup *cg = t->cgroups->dfl_cgrp;
    if (cg->kn->id == cg_id) return 1;
    if (cg->level <= (int)cg_level) return 0; /* not beneath it: the leaf test said all */
    return bpf_get_current_ancestor_cgroup_id(cg_level) == cg_id;
  }
  if (filter_mode == 2) {
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    return bpf_map_lookup_elem(&tgids, &tgid) != 0;
  }
  return 0;
}

static __always_inline int in_workload(void) { return in_workload_task(bpf_get_current_task_btf()); }

static __always_inline __u32 arch_of_task(struct task_struct *t, long id) {
  if (id & X32_BIT) return 2;
  if (t->thread_info.status & TS_COMPAT) return 1;
  return 0;
}

static __always_inline int is_exec(__u32 arch, long id) {
  if (arch == 0) return id == 59 || id == 322;
  if (arch == 1) return id == 11 || id == 358;
  return id == (X32_BIT | 520) || id == (X32_BIT | 545);
}

static __always_inline int gate_open(__u32 arch, long id) {
  if (!gate || armed) return 1;
  if (!is_exec(arch, id)) return 0;
  char comm[16];
  bpf_get_current_comm(comm, sizeof comm);
  for (int i = 0; i < 16; i++) {
    if (comm[i] != gate_comm[i]) return 0;
    if (!comm[i]) break;
  }
  armed = 1;
  return 1;
}

/* Names from (d, m) up to the task's root (root_d, root_m), leaf first, into
 * e->base[slot]; returns their number, or -1 when they did not fit. A global
 * function: the verifier checks it once, not at each caller. The write offset
 * goes through e->base_n[slot] (memory the verifier does not track), so its
 * exact value does not split the verifier's states at each level. */
__noinline int walk(struct confine_event *e, int slot, __u64 d_, __u64 m_) {
  if (!e) return -1;
  slot &= 1;
  struct task_struct *t = bpf_get_current_task_btf();
  struct dentry *root_d = BPF_CORE_READ(t, fs, root.dentry);
  struct vfsmount *root_m = BPF_CORE_READ(t, fs, root.mnt);
  struct dentry *d = (struct dentry *)d_;
  struct vfsmount *m = (struct vfsmount *)m_;
  struct mount *mnt = container_of(m, struct mount, mnt);
  int n = 0;
  e->base_n[slot] = 0;
  for (int i = 0; i < CONFINE_DEPTH; i++) {
    if (d == root_d && m == root_m) return n;
    if (d == BPF_CORE_READ(m, mnt_root)) {
      struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
      if (parent == mnt) return n; /* above the task's root: the namespace's root */
      d = BPF_CORE_READ(mnt, mnt_mountpoint);
      mnt = parent;
      m = &parent->mnt;
      continue;
    }
    struct dentry *par = BPF_CORE_READ(d, d_parent);
    if (par == d) return n;
    const unsigned char *name = BPF_CORE_READ(d, d_name.name);
    __u32 pos = e->base_n[slot];
    if (pos > CONFINE_BASE_USED) return -1;
    long r = bpf_probe_read_kernel_str(&e->base[slot][pos], CONFINE_NAME, name);
    if (r <= 0) return -1;
    e->base_n[slot] = pos + r;
    n++;
    d = par;
  }
  return -1;
}

static __always_inline void walk_into(struct confine_event *e, int slot, struct dentry *d, struct vfsmount *m) {
  int n = walk(e, slot, (__u64)d, (__u64)m);
  if (n < 0) {
    e->flags |= slot ? CONFINE_EVF_BASE_TRUNC1 : CONFINE_EVF_BASE_TRUNC0;
    n = 0;
  }
  e->base_n[slot] = n;
}

static __always_inline void resolve_fd(struct confine_event *e, int slot, int fd) {
  struct task_struct *t = bpf_get_current_task_btf();
  struct dentry *d;
  struct vfsmount *m;
  e->base_fd[slot] = fd;
  if (fd == AT_FDCWD) {
    d = BPF_CORE_READ(t, fs, pwd.dentry);
    m = BPF_CORE_READ(t, fs, pwd.mnt);
  } else {
    struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
    unsigned int max = BPF_CORE_READ(fdt, max_fds);
    if (fd < 0 || (unsigned int)fd >= max) {
      e->base_fd[slot] = NO_FD;
      return;
    }
    struct file **arr = BPF_CORE_READ(fdt, fd);
    struct file *f = 0;
    bpf_probe_read_kernel(&f, sizeof f, &arr[fd]);
    if (!f) {
      e->base_fd[slot] = NO_FD;
      return;
    }
    d = BPF_CORE_READ(f, f_path.dentry);
    m = BPF_CORE_READ(f, f_path.mnt);
  }
  walk_into(e, slot, d, m);
}

static __always_inline void read_str(struct confine_event *e, int slot, const struct confine_spec *sp,
                                     const __u64 *a, __u32 arch) {
  __u8 si = sp->str[slot];
  if (si > 5) return;
  __u64 addr = a[si];
  if (arch) addr &= 0xffffffffULL;
  e->str_addr[slot] = addr;
  long r = bpf_probe_read_user_str(e->str[slot], CONFINE_PATH, (const void *)addr);
  e->str_len[slot] = r;
  if (r <= 0 || r >= CONFINE_PATH) {
    e->flags |= slot ? CONFINE_EVF_STR_TRUNC1 : CONFINE_EVF_STR_TRUNC0;
    if (r <= 0) return;
  }
  int empty_ok = (sp->flags & CONFINE_SPEC_EMPTY_PATH) && (a[4] & AT_EMPTY_PATH);
  if (e->str[slot][0] == '/' || (e->str[slot][0] == 0 && !empty_ok)) return;
  __u8 di = sp->dirfd[slot];
  int fd = AT_FDCWD;
  if (di <= 5) fd = (int)a[di];
  resolve_fd(e, slot, fd);
}

static __always_inline void read_buf(unsigned char *dst, short *out_len, __u64 addr, __u64 len) {
  if (!addr || !len) return;
  if (len > CONFINE_BUF) len = CONFINE_BUF;
  if (bpf_probe_read_user(dst, len, (const void *)addr) == 0) *out_len = len;
  else *out_len = -1;
}

/* A memory argument unreadable at sys_enter (its page not faulted in yet: the
 * tracepoint cannot fault) is read again at sys_exit, after the syscall itself
 * brought it in. A successful execve has no old memory left: sched_process_exec
 * sends the path the kernel copied (bprm->filename). */
struct pending {
  __u64 a[6];
  long id;
  __u32 arch, flat;
};
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8192);
  __type(key, __u32);
  __type(value, struct pending);
} pendings SEC(".maps");
__s64 npending = 0;

/* Wake the reader only when the ring is an eighth full: a wake-up per event is a cross-CPU
 * interrupt per syscall (~80 us here); the reader also drains every 10 ms on its own
 * (source.cc), so an event waits at most that long. */
static __always_inline __u64 submit_flags(void) {
  __u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
  __u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
  return avail >= size / 8 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Sends the event of one syscall. Returns 1 when it deferred it to sys_exit. */
static __always_inline int emit(__u32 arch, long id, __u32 flat, const struct confine_spec *sp, const __u64 *a,
                                int retry) {
  struct confine_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    stat_inc(CONFINE_STAT_LOST);
    return 0;
  }
  __u64 pt = bpf_get_current_pid_tgid();
  e->type = CONFINE_EV_SYSCALL;
  e->tgid = pt >> 32;
  e->tid = (__u32)pt;
  e->arch = arch;
  e->nr = (int)id;
  e->flags = retry ? CONFINE_EVF_RETRIED : 0;
  for (int i = 0; i < 6; i++) e->args[i] = a[i];
  e->str_len[0] = e->str_len[1] = 0;
  e->buf_len = e->buf2_len = 0;
  e->base_fd[0] = e->base_fd[1] = NO_FD;
  e->base_n[0] = e->base_n[1] = 0;
  e->str_addr[0] = e->str_addr[1] = 0;
  e->buf_addr = e->buf2_addr = 0;
  if (sp->kind == 2) {
    read_str(e, 0, sp, a, arch);
    read_str(e, 1, sp, a, arch);
    if (sp->flags & CONFINE_SPEC_CWD) resolve_fd(e, 1, AT_FDCWD);
    if (sp->flags & CONFINE_SPEC_FD) {
      __u8 fi = sp->dirfd[0];
      if (fi <= 5) resolve_fd(e, 0, (int)a[fi]);
    }
    if (sp->buf <= 5) {
      __u64 addr = a[sp->buf & 7];
      if (arch) addr &= 0xffffffffULL;
      __u64 len = sp->buf_fixed;
      if (sp->buf_len <= 5) len = (__u32)a[sp->buf_len & 7];
      e->buf_addr = addr;
      read_buf(e->buf, &e->buf_len, addr, len);
      if ((sp->flags & CONFINE_SPEC_SOCKETCALL) && e->buf_len == 12 && ((__u32)a[0] == 2 || (__u32)a[0] == 3)) {
        __u32 v[3];
        __builtin_memcpy(v, e->buf, sizeof v);
        e->buf2_addr = v[1];
        read_buf(e->buf2, &e->buf2_len, v[1], v[2]);
      }
    }
    int unreadable = (e->str_addr[0] && e->str_len[0] <= 0) || (e->str_addr[1] && e->str_len[1] <= 0) ||
                     e->buf_len < 0 || e->buf2_len < 0;
    if (unreadable && !retry) {
      struct pending p = {.id = id, .arch = arch, .flat = flat};
      for (int i = 0; i < 6; i++) p.a[i] = a[i];
      __u32 tid = (__u32)pt;
      if (bpf_map_update_elem(&pendings, &tid, &p, BPF_ANY) == 0) {
        __sync_fetch_and_add(&npending, 1);
        bpf_ringbuf_discard(e, 0);
        return 1;
      }
    }
  }
  bpf_ringbuf_submit(e, submit_flags());
  return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_enter, struct pt_regs *regs, long id) {
  struct task_struct *t = bpf_get_current_task_btf();
  if (!in_workload_task(t)) return 0;
  __u32 arch = arch_of_task(t, id);
  if (!gate_open(arch, id)) return 0;
  __u64 n = (__u64)id & ~(__u64)X32_BIT;
  if (id < 0 || n >= CONFINE_FLAT_NRS) {
    __u64 k = ((__u64)arch << 32) | (__u32)id, one = 1;
    __u64 *c = bpf_map_lookup_elem(&other_counts, &k);
    if (c)
      __sync_fetch_and_add(c, 1);
    else if (bpf_map_update_elem(&other_counts, &k, &one, BPF_NOEXIST))
      stat_inc(CONFINE_STAT_OTHER_NR);
    return 0;
  }
  __u32 flat = arch * CONFINE_FLAT_NRS + (__u32)n;
  __u64 *c = bpf_map_lookup_elem(&counts, &flat);
  if (c) *c += 1;
  struct confine_spec *sp = bpf_map_lookup_elem(&specs, &flat);
  if (!sp || !sp->kind) return 0;
  __u64 a[6];
  if (arch == 1) {
    a[0] = regs->bx, a[1] = regs->cx, a[2] = regs->dx, a[3] = regs->si, a[4] = regs->di, a[5] = regs->bp;
  } else {
    a[0] = regs->di, a[1] = regs->si, a[2] = regs->dx, a[3] = regs->r10, a[4] = regs->r8, a[5] = regs->r9;
  }
  if (sp->kind == 1) {
    struct scalar_key k = {.flat = flat, .pad = 1};
    __u64 h = flat;
    for (int i = 0; i < 6; i++) {
      k.v[i] = a[i] & sp->mask[i];
      h = h * 0x9E3779B97F4A7C15ULL + k.v[i];
    }
    __u32 slot = (__u32)(h >> 32) % RECENT_SLOTS;
    struct scalar_key *r = bpf_map_lookup_elem(&recent, &slot);
    if (r && r->pad == 1 && r->flat == k.flat && r->v[0] == k.v[0] && r->v[1] == k.v[1] && r->v[2] == k.v[2] &&
        r->v[3] == k.v[3] && r->v[4] == k.v[4] && r->v[5] == k.v[5])
      return 0;
    if (bpf_map_lookup_elem(&seen, &k)) {
      if (r) *r = k;
      return 0;
    }
    __u8 one = 1;
    bpf_map_update_elem(&seen, &k, &one, BPF_ANY);
    if (r) *r = k;
  }
  emit(arch, id, flat, sp, a, 0);
  return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_exit, struct pt_regs *regs, long ret) {
  if (npending > 0) {
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    struct pending *pp = bpf_map_lookup_elem(&pendings, &tid);
    if (pp) {
      struct pending p = *pp;
      bpf_map_delete_elem(&pendings, &tid);
      __sync_fetch_and_add(&npending, -1);
      __u32 flat = p.flat % CONFINE_FLAT;
      struct confine_spec *sp = bpf_map_lookup_elem(&specs, &flat);
      if (sp) emit(p.arch, p.id, flat, sp, p.a, 1);
    }
  }
  if (!count_errors) return 0;
  if (ret >= 0 || ret < -4095) return 0;
  struct task_struct *t = bpf_get_current_task_btf();
  if (!in_workload_task(t)) return 0;
  if (gate && !armed) return 0;
  long id = regs->orig_ax;
  __u32 arch = arch_of_task(t, id);
  __u64 n = (__u64)id & ~(__u64)X32_BIT;
  if (id < 0 || n >= CONFINE_FLAT_NRS) return 0;
  struct confine_err_key k = {.flat = arch * CONFINE_FLAT_NRS + (__u32)n, .err = (int)-ret};
  __u64 *c = bpf_map_lookup_elem(&errors, &k);
  if (c) {
    __sync_fetch_and_add(c, 1);
    return 0;
  }
  __u64 one = 1;
  if (bpf_map_update_elem(&errors, &k, &one, BPF_NOEXIST)) {
    c = bpf_map_lookup_elem(&errors, &k);
    if (c)
      __sync_fetch_and_add(c, 1);
    else
      stat_inc(CONFINE_STAT_ERR_LOST);
  }
  return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child) {
  if (filter_mode != 2) return 0;
  __u32 ptgid = parent->tgid, ctgid = child->tgid;
  if (ptgid == ctgid || !bpf_map_lookup_elem(&tgids, &ptgid)) return 0;
  __u8 one = 1;
  bpf_map_update_elem(&tgids, &ctgid, &one, BPF_ANY);
  return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
  if (!in_workload()) return 0;
  if (gate && !armed) return 0;
  struct confine_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    stat_inc(CONFINE_STAT_LOST);
    return 0;
  }
  __u64 pt = bpf_get_current_pid_tgid();
  e->type = CONFINE_EV_EXEC;
  e->tgid = pt >> 32;
  e->tid = (__u32)pt;
  e->arch = 0;
  e->nr = 0;
  e->flags = 0;
  e->str_len[0] = e->str_len[1] = 0;
  e->base_n[0] = e->base_n[1] = 0;
  e->base_fd[1] = NO_FD;
  bpf_get_current_comm(e->str[0], 16);
  e->str_len[0] = 16;
  __u32 tid = (__u32)pt;
  struct pending *pp = npending > 0 ? bpf_map_lookup_elem(&pendings, &tid) : 0;
  if (pp) {
    /* The execve's path was unreadable at sys_enter: the kernel's copy of it. */
    bpf_map_delete_elem(&pendings, &tid);
    __sync_fetch_and_add(&npending, -1);
    e->flags |= CONFINE_EVF_EXEC_PATH;
    const char *fn = BPF_CORE_READ(bprm, filename);
    long r = bpf_probe_read_kernel_str(e->str[1], CONFINE_PATH, fn);
    e->str_len[1] = r;
    if (r >= CONFINE_PATH) e->flags |= CONFINE_EVF_STR_TRUNC1;
    if (r > 0 && e->str[1][0] != '/') resolve_fd(e, 1, AT_FDCWD);
  }
  struct file *f = BPF_CORE_READ(bprm, file);
  e->base_fd[0] = -2;
  walk_into(e, 0, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
  bpf_ringbuf_submit(e, submit_flags());
  return 0;
}
