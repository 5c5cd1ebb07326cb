#!/usr/bin/env python3
"""Writes profiles/runtime-default.json: confine's default seccomp profile.

The profile is data; this script is its readable source: every group of
syscalls says why it is allowed, and the list at the end says why the rest is
not. Run it after editing, then `confine seccomp fmt -w profiles/runtime-default.json`.
Differences from Docker's default (see docs/runtime-default.md):
  - io_uring_* denied (large, fast-moving attack surface; many privilege escalations)
  - ptrace, userfaultfd, modify_ldt denied unless the matching capability is held
  - socket() limited to AF_UNIX, AF_INET, AF_INET6, AF_NETLINK (AF_PACKET with CAP_NET_RAW):
    rare families (VSOCK, TIPC, RDS, CAN, ALG, BLUETOOTH, ...) carry most socket CVEs
  - x32 ABI not enabled on amd64 (closed by the filter); i386 kept for 32-bit binaries
  - keyring syscalls (add_key, keyctl, request_key) denied: keyrings are not namespaced
"""
import json, sys

G = []  # (comment, names, extra)

def allow(comment, names, **extra):
    G.append((comment, names.split(), extra))

allow("file I/O on open descriptors and pipes", """read write pipe pipe2 readv writev pread64 pwrite64 preadv pwritev preadv2
  pwritev2 lseek _llseek close close_range dup dup2 dup3 fcntl fcntl64 flock fsync fdatasync sync syncfs
  sync_file_range ftruncate ftruncate64 fallocate fadvise64 fadvise64_64 sendfile sendfile64
  copy_file_range splice tee vmsplice readahead cachestat""")
allow("paths: open, stat, directories, links, permissions (the kernel's DAC/LSM checks still apply)",
      """open openat openat2 creat truncate truncate64 stat lstat fstat stat64 lstat64 fstat64 newfstatat
  fstatat64 statx statfs statfs64 fstatfs fstatfs64 access faccessat faccessat2 readlink readlinkat
  getdents getdents64 getcwd chdir fchdir mkdir mkdirat rmdir rename renameat renameat2 link linkat
  unlink unlinkat symlink symlinkat mknod mknodat chmod fchmod fchmodat fchmodat2 chown fchown lchown
  fchownat chown32 fchown32 lchown32 umask utime utimes futimesat utimensat utimensat_time64""")
allow("extended attributes and inode flags", """getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr
  listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr getxattrat setxattrat
  listxattrat removexattrat file_getattr file_setattr""")
allow("file change notification (fanotify_mark needs an fd from fanotify_init, which is gated)",
      "inotify_init inotify_init1 inotify_add_watch inotify_rm_watch fanotify_mark")
allow("waiting for events", """select _newselect pselect6 pselect6_time64 poll ppoll ppoll_time64
  epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait epoll_pwait2 eventfd eventfd2 signalfd
  signalfd4 timerfd_create timerfd_settime timerfd_settime64 timerfd_gettime timerfd_gettime64""")
allow("memory management, including hardening calls (pkeys, mseal, shadow stacks)", """brk mmap mmap2
  munmap mremap mprotect pkey_mprotect pkey_alloc pkey_free madvise mincore mlock mlock2 munlock
  mlockall munlockall msync remap_file_pages map_shadow_stack mseal memfd_create memfd_secret membarrier""")
allow("processes and threads (clone is argument-checked below; clone3 answers ENOSYS)", """fork vfork
  execve execveat exit exit_group wait4 waitid waitpid kill tkill tgkill getpid getppid gettid
  getpgid setpgid getpgrp getsid setsid set_tid_address set_robust_list get_robust_list futex
  futex_time64 futex_waitv futex_wake futex_wait futex_requeue rseq restart_syscall pidfd_open
  pidfd_send_signal process_mrelease prctl capget capset""")
allow("credentials (the kernel requires CAP_SETUID/CAP_SETGID to change them)", """getuid getgid geteuid
  getegid getuid32 getgid32 geteuid32 getegid32 setuid setgid setuid32 setgid32 setreuid setregid
  setreuid32 setregid32 setresuid setresgid setresuid32 setresgid32 getresuid getresgid getresuid32
  getresgid32 setfsuid setfsgid setfsuid32 setfsgid32 getgroups setgroups getgroups32 setgroups32""")
allow("scheduling, priorities and resource limits", """sched_yield sched_getaffinity sched_setaffinity
  sched_getparam sched_setparam sched_getscheduler sched_setscheduler sched_get_priority_max
  sched_get_priority_min sched_rr_get_interval sched_rr_get_interval_time64 sched_getattr
  sched_setattr getpriority setpriority nice ioprio_get ioprio_set getrlimit setrlimit ugetrlimit
  prlimit64 getrusage times getcpu""")
allow("signals", """rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigtimedwait
  rt_sigtimedwait_time64 rt_sigqueueinfo rt_tgsigqueueinfo rt_sigsuspend sigaction sigprocmask
  sigreturn sigpending sigsuspend signal sigaltstack pause alarm""")
allow("clocks and timers (setting clocks is gated on CAP_SYS_TIME; adjtimex/clock_adjtime only read without it, glibc uses them for ntp_gettime)",
      """clock_gettime clock_gettime64 clock_getres clock_getres_time64 clock_nanosleep
  clock_nanosleep_time64 nanosleep gettimeofday time timer_create timer_delete timer_settime
  timer_settime64 timer_gettime timer_gettime64 timer_getoverrun getitimer setitimer adjtimex
  clock_adjtime clock_adjtime64""")
allow("sockets (socket() itself is limited to common families below)", """socketpair bind connect listen
  accept accept4 getsockname getpeername sendto recvfrom send recv sendmsg recvmsg sendmmsg recvmmsg
  recvmmsg_time64 shutdown getsockopt setsockopt""")
allow("System V and POSIX IPC (namespaced per IPC namespace)", """msgget msgsnd msgrcv msgctl semget
  semop semtimedop semtimedop_time64 semctl shmget shmat shmdt shmctl mq_open mq_unlink mq_timedsend
  mq_timedsend_time64 mq_timedreceive mq_timedreceive_time64 mq_notify mq_getsetattr""")
allow("legacy asynchronous I/O (used by databases); io_uring stays denied", """io_setup io_destroy
  io_submit io_cancel io_getevents io_pgetevents io_pgetevents_time64""")
allow("system information and self-sandboxing (seccomp and Landlock can only take rights away)",
      """uname sysinfo getrandom ioctl seccomp landlock_create_ruleset
  landlock_add_rule landlock_restrict_self lsm_get_self_attr lsm_list_modules statmount listmount""")

# Architecture-specific calls.
allow("x86: thread-local storage", "set_thread_area get_thread_area", includes={"arches": ["amd64", "x32", "386"]})
allow("x86_64: arch_prctl; uprobe trampolines (the kernel only honours them from its own trampoline)",
      "arch_prctl uretprobe uprobe", includes={"arches": ["amd64", "x32"]})
allow("arm: cache flushing, TLS and argument-order variants", """arm_fadvise64_64 arm_sync_file_range
  sync_file_range2 breakpoint cacheflush set_tls""", includes={"arches": ["arm", "arm64"]})
allow("powerpc: sync_file_range2", "sync_file_range2", includes={"arches": ["ppc64le"]})
allow("s390: PCI MMIO and runtime instrumentation", "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr",
      includes={"arches": ["s390", "s390x"]})
allow("riscv: instruction cache flush (JITs) and hardware probing", "riscv_flush_icache riscv_hwprobe",
      includes={"arches": ["riscv64"]})

rules = []
for comment, names, extra in G:
    r = {"names": sorted(set(names)), "action": "SCMP_ACT_ALLOW", "comment": comment}
    r.update(extra)
    rules.append(r)

PERS = [(0x0, "PER_LINUX"), (0x8, "PER_LINUX32"), (0x20000, "UNAME26"), (0x20008, "UNAME26|PER_LINUX32"),
        (0xFFFFFFFF, "query the current persona")]
for v, why in PERS:
    rules.append({"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                  "args": [{"index": 0, "value": v, "op": "SCMP_CMP_EQ"}],
                  "comment": "personality(%s): %s; other personas (e.g. ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC) weaken ASLR/NX" % (hex(v), why)})

FAMILIES = [(1, "AF_UNIX"), (2, "AF_INET"), (10, "AF_INET6"), (16, "AF_NETLINK")]
for v, name in FAMILIES:
    rules.append({"names": ["socket"], "action": "SCMP_ACT_ALLOW",
                  "args": [{"index": 0, "value": v, "op": "SCMP_CMP_EQ"}],
                  "comment": "socket(%s, ...)" % name})
rules.append({"names": ["socket"], "action": "SCMP_ACT_ALLOW",
              "args": [{"index": 0, "value": 17, "op": "SCMP_CMP_EQ"}],
              "includes": {"caps": ["CAP_NET_RAW"]}, "comment": "socket(AF_PACKET, ...) when CAP_NET_RAW is kept"})

NS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
rules.append({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
              "args": [{"index": 0, "value": NS, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
              "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]},
              "comment": "clone without namespace flags (flags are argument 0)"})
rules.append({"names": ["clone"], "action": "SCMP_ACT_ALLOW",
              "args": [{"index": 1, "value": NS, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
              "includes": {"arches": ["s390", "s390x"]}, "excludes": {"caps": ["CAP_SYS_ADMIN"]},
              "comment": "clone without namespace flags (s390 passes flags in argument 1)"})
rules.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
              "excludes": {"caps": ["CAP_SYS_ADMIN"]},
              "comment": "clone3 passes its flags in memory, which seccomp cannot inspect: ENOSYS makes libc fall back to clone"})

GATED = [
    ("CAP_SYS_ADMIN", """bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount
      mount_setattr move_mount open_tree open_tree_attr perf_event_open quotactl quotactl_fd setns umount umount2 unshare pivot_root lsm_set_self_attr vhangup syslog name_to_handle_at
      sethostname setdomainname""",
     "namespace, mount, BPF and tracing operations need CAP_SYS_ADMIN in the kernel too"),
    ("CAP_BPF", "bpf", "BPF programs with CAP_BPF"),
    ("CAP_PERFMON", "perf_event_open", "performance monitoring with CAP_PERFMON"),
    ("CAP_SYS_BOOT", "reboot", "reboot (of the pid namespace) with CAP_SYS_BOOT"),
    ("CAP_SYS_CHROOT", "chroot", "chroot with CAP_SYS_CHROOT"),
    ("CAP_SYS_MODULE", "init_module finit_module delete_module", "kernel modules with CAP_SYS_MODULE"),
    ("CAP_SYS_PACCT", "acct", "process accounting with CAP_SYS_PACCT"),
    ("CAP_SYS_PTRACE", "ptrace kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev userfaultfd",
     "inspecting other processes' memory, and userfaultfd (a common exploit primitive), with CAP_SYS_PTRACE"),
    ("CAP_SYS_RAWIO", "iopl ioperm modify_ldt", "raw I/O ports and LDT changes with CAP_SYS_RAWIO"),
    ("CAP_SYS_TIME", "settimeofday stime clock_settime clock_settime64",
     "setting clocks with CAP_SYS_TIME"),
    ("CAP_SYS_NICE", "get_mempolicy mbind set_mempolicy set_mempolicy_home_node migrate_pages move_pages",
     "NUMA memory policy with CAP_SYS_NICE"),
    ("CAP_SYSLOG", "syslog", "kernel log with CAP_SYSLOG"),
    ("CAP_DAC_READ_SEARCH", "open_by_handle_at", "open_by_handle_at with CAP_DAC_READ_SEARCH (the 'shocker' escape)"),
]
for cap, names, why in GATED:
    rules.append({"names": sorted(set(names.split())), "action": "SCMP_ACT_ALLOW",
                  "includes": {"caps": [cap]}, "comment": why})

profile = {
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [
        {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
        {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": []},
        {"architecture": "SCMP_ARCH_PPC64LE", "subArchitectures": []},
        {"architecture": "SCMP_ARCH_S390X", "subArchitectures": ["SCMP_ARCH_S390"]},
        {"architecture": "SCMP_ARCH_LOONGARCH64", "subArchitectures": []},
        {"architecture": "SCMP_ARCH_MIPS64", "subArchitectures": ["SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPS"]},
        {"architecture": "SCMP_ARCH_MIPSEL64", "subArchitectures": ["SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_MIPSEL"]},
    ],
    "syscalls": rules,
}
json.dump(profile, sys.stdout, indent=2)
sys.stdout.write("\n")
