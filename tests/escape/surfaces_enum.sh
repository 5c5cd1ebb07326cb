#!/bin/sh
# Runs INSIDE the sandbox (tests/integration/escape_surfaces.sh): enumerates the filesystem
# surfaces and prints one "BAD <what>" line for everything not on the allow
# list, then "ENUM DONE" (no such line = the enumeration itself failed).
# usage: sh surfaces_enum.sh RO ALLOWED_RW_PATH...
# RO: 0 = writable root, 1 = --read-only, 2 = --read-only --share ipc (the
# host's /dev/shm then stays read-only too).
# ALLOWED_RW_PATH: what the caller asked to be writable (--tmpfs, --bind rw).
RO=$1
shift
ALLOW_RW="$*"

# 1. Device nodes visible in /dev, /proc, /sys (hex major:minor as stat prints them).
#    Allowed: the minimal set; /dev/null's twin over the masked /proc files.
find /dev /proc /sys \( -path '/proc/[0-9]*' -o -path /proc/self -o -path /proc/thread-self \) -prune -o \
  \( -type b -o -type c \) -print 2>/dev/null |
  while read -r p; do
    id=$(stat -c '%F %t:%T' "$p" 2>/dev/null)
    case "$p $id" in
      "/dev/null character special file 1:3" | "/dev/zero character special file 1:5" | \
        "/dev/full character special file 1:7" | "/dev/random character special file 1:8" | \
        "/dev/urandom character special file 1:9" | "/dev/tty character special file 5:0" | \
        "/dev/pts/ptmx character special file 5:2") ;;
      "/proc/"*" character special file 1:3") ;;  # a mask (/dev/null bound over it)
      *) echo "BAD device node visible: $p ($id)" ;;
    esac
  done

# 2. Mounts: every mount nodev except the device nodes and devpts; with
#    --read-only every mount read-only except the private ones and what was asked.
awk -v ro="$RO" -v allow="$ALLOW_RW" '
  BEGIN { n = split(allow, a, " "); for (i = 1; i <= n; i++) rw[a[i]] = 1 }
  {
    mp = $5; opts = $6
    gsub(/\\040/, " ", mp)
    dev = (mp ~ /^\/dev\/(null|zero|full|random|urandom|tty)$/) || mp == "/dev/pts" ||
          (mp ~ /^\/proc\// && $0 ~ / - devtmpfs /)
    if (!dev && opts !~ /(^|,)nodev(,|$)/) print "BAD mount without nodev: " mp " (" opts ")"
    if (ro >= 1 && opts !~ /(^|,)ro(,|$)/) {
      ok = dev || (mp == "/dev/shm" && ro == 1) || mp == "/dev/mqueue" || mp == "/proc"
      for (r in rw) if (mp == r || index(mp, r "/") == 1) ok = 1
      if (!ok) print "BAD writable mount: " mp " (" opts ")"
    }
  }' /proc/self/mountinfo

# 3. Masks: what runtimes mask reads as empty (or is absent/unreadable).
for f in /proc/kcore /proc/keys /proc/timer_list /proc/timer_stats /proc/latency_stats /proc/sched_debug \
  /proc/kallsyms /proc/kpageflags /proc/kpagecount /proc/kpagecgroup /proc/interrupts; do
  [ -e "$f" ] || continue
  n=$(head -c 16 "$f" 2>/dev/null | wc -c)
  [ "$n" = 0 ] || echo "BAD not masked: $f ($n bytes readable)"
done
for d in /proc/acpi /proc/scsi /proc/asound /sys/firmware /sys/devices/virtual/powercap /sys/dev/block \
  /sys/fs/selinux; do
  [ -d "$d" ] || continue
  n=$(ls -A "$d" 2>/dev/null | wc -l)
  [ "$n" = 0 ] || echo "BAD not masked: $d ($n entries)"
done
# Kernel-internal file systems mounted below /sys (tracefs, debugfs, bpf, securityfs, configfs,
# pstore, efivarfs, fusectl): each mount point lists empty (a mask over it; root reads them).
awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { print $5, $(i + 1); break } }' /proc/self/mountinfo |
  while read -r mp fs; do
    case "$mp" in /sys/*) ;; *) continue ;; esac
    case "$fs" in tracefs | debugfs | bpf | securityfs | configfs | pstore | efivarfs | fusectl) ;; *) continue ;; esac
    n=$(ls -A "$mp" 2>/dev/null | wc -l)
    [ "$n" = 0 ] || echo "BAD not masked: $mp ($fs, $n entries)"
  done
for k in /proc/sys/kernel/core_pattern /proc/sysrq-trigger /sys/kernel/uevent_helper; do
  [ -e "$k" ] || continue
  if [ -w "$k" ]; then echo "BAD writable kernel knob: $k"; fi
done

# 4. Writable paths (with --read-only): walk the whole tree. Allowed: the
#    private /dev's nodes, shm, mqueue, pts, the stdio links, the masks
#    (/dev/null's twin) and what was asked; a process's own /proc/PID.
#    Sockets and FIFOs are not file writes (a read-only mount does not govern
#    them): host sockets are the network/IPC class's enumeration, not this one.
if [ "$RO" -ge 1 ]; then
  SHM_RW=/dev/shm
  [ "$RO" = 2 ] && SHM_RW=/nonexistent
  # In /proc only entries with a write bit count: root's access(W_OK) passes on
  # every file (CAP_DAC_OVERRIDE) but a proc file without one has no write handler.
  find / \( -path '/proc/[0-9]*' -o -path /proc/self -o -path /proc/thread-self \) -prune -o \
    \( \( -path /proc -o -path '/proc/*' \) ! -perm /222 \) -o \( -type s -o -type p \) -o -writable -print \
    2>/dev/null |
    while read -r p; do
      case "$p" in
        /dev/null | /dev/zero | /dev/full | /dev/random | /dev/urandom | /dev/tty | /dev/ptmx | /dev/pts | \
          /dev/pts/ptmx | /dev/fd | /dev/stdin | /dev/stdout | /dev/stderr | "$SHM_RW" | "$SHM_RW"/* | \
          /dev/mqueue | /dev/mqueue/*) continue ;;
        # PSI triggers: writable by any user by design (a trigger only wakes its own poller).
        /proc/pressure/cpu | /proc/pressure/io | /proc/pressure/memory | /proc/pressure/irq) continue ;;
      esac
      # A symlink counts as what it resolves to (e.g. /run/shm -> /dev/shm).
      [ -L "$p" ] && p=$(readlink -f "$p")
      case "$p" in "$SHM_RW" | "$SHM_RW"/* | /dev/mqueue | /dev/mqueue/* | /dev/null | /proc/[0-9]* | /proc/self/*) continue ;; esac
      [ "$(stat -L -c '%F %t:%T' "$p" 2>/dev/null)" = "character special file 1:3" ] && continue
      # A device node's write bit says nothing on a nodev mount (access(2) does
      # not check nodev; open(2) does): a node counts only if it really opens
      # for writing (e.g. a chroot's /dev under /var/tmp on the host).
      if [ -c "$p" ] || [ -b "$p" ]; then
        (exec 3>>"$p") 2>/dev/null || continue
      fi
      ok=0
      for r in $ALLOW_RW; do case "$p" in "$r" | "$r"/*) ok=1 ;; esac; done
      [ $ok = 1 ] || echo "BAD writable path: $p"
    done
fi
echo "ENUM DONE"
