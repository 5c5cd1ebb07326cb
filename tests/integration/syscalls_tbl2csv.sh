#!/bin/bash
# tools/syscalls/tbl2csv.py on a miniature kernel tree: ABI selection per
# column, entry-point vs name column, ARM private calls, --extra merging, and
# the errors a refresh must not get past (conflicts, duplicate numbers, bad
# lines, empty columns). Also: the committed CSV is in the converter's format.
# usage: bash syscalls_tbl2csv.sh CONFINE_BIN SRC_DIR
set -u
SRC=${2:?source dir}
command -v python3 >/dev/null || { echo "FAIL: no python3 (make deps-test installs it)"; exit 1; }
T=$(mktemp -d /tmp/confine-tbl2csv-it.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
K=$T/linux
mk() { mkdir -p "$(dirname "$K/$1")"; cat >"$K/$1"; }

mk arch/x86/entry/syscalls/syscall_64.tbl <<'E'
# comment
0	common	read			sys_read
4	common	stat			sys_newstat
13	64	rt_sigaction		sys_rt_sigaction
512	x32	rt_sigaction		compat_sys_rt_sigaction
E
mk arch/x86/entry/syscalls/syscall_32.tbl <<'E'
3	i386	read			sys_read
E
mk scripts/syscall.tbl <<'E'
38	renameat renameat		sys_renameat
63	common	read			sys_read
79	stat64	fstatat64		sys_fstatat64
79	64	newfstatat		sys_newfstatat
163	rlimit	getrlimit		sys_getrlimit
258	riscv	riscv_hwprobe		sys_riscv_hwprobe
447	memfd_secret	memfd_secret	sys_memfd_secret
E
mk arch/arm64/kernel/Makefile.syscalls <<<'syscall_abis_64 += renameat newstat rlimit memfd_secret'
mk arch/riscv/kernel/Makefile.syscalls <<<'syscall_abis_64 += riscv newstat rlimit memfd_secret'
mk arch/loongarch/kernel/Makefile.syscalls <<<'syscall_abis_64 +='
mk arch/arm/tools/syscall.tbl <<'E'
3	common	read		sys_read
13	oabi	time		sys_time32
E
mk arch/arm/include/uapi/asm/unistd.h <<'E'
#define __ARM_NR_BASE			(__NR_SYSCALL_BASE+0x0f0000)
#define __ARM_NR_breakpoint		(__ARM_NR_BASE+1)
#define __ARM_NR_set_tls		(__ARM_NR_BASE+5)
E
mk arch/s390/kernel/syscalls/syscall.tbl <<'E'
3    common	read			sys_read			compat_sys_s390_read
13   32		time			-				sys_time32
E
mk arch/powerpc/kernel/syscalls/syscall.tbl <<'E'
3	common	read			sys_read
204	32	fcntl64			sys_fcntl64
279	spu	spu_create		sys_spu_create
E
for abi in o32 n64 n32; do printf '0\t%s\tread\t\tsys_read\n' $abi | mk arch/mips/kernel/syscalls/syscall_$abi.tbl; done

run() { python3 "$SRC/tools/syscalls/tbl2csv.py" "$K" "$@" 2>"$T/err"; }
out=$(run) || fail "converter failed: $(cat "$T/err")"
want='# linux-version: 6.18'
[ "$(echo "$out" | head -1)" = "$want" ] || fail "first line: $(echo "$out" | head -1)"
row() { echo "$out" | grep "^$1," || echo "(no row $1)"; }
hdr='name,x86_64,i386,x32,aarch64,arm,riscv64,s390x,s390,ppc64,ppc,loongarch64,mips_o32,mips_n64,mips_n32'
[ "$(echo "$out" | grep '^name,')" = "$hdr" ] || fail "header: $(echo "$out" | grep '^name,')"
[ "$(row read)" = "read,0,3,0,63,3,63,3,3,3,3,63,0,0,0" ] || fail "read row: $(row read)"
[ "$(row rt_sigaction)" = "rt_sigaction,13,,512,,,,,,,,,,," ] || fail "x32 abi: $(row rt_sigaction)"
[ "$(row stat)" = "stat,4,,4,,,,,,,,,,," ] || fail "stat: $(row stat)"
[ "$(row renameat)" = "renameat,,,,38,,,,,,,,,," ] || fail "generic abis: $(row renameat)"
[ "$(row getrlimit)" = "getrlimit,,,,163,,163,,,,,,,," ] || fail "rlimit abi: $(row getrlimit)"
[ "$(row newfstatat)" = "newfstatat,,,,79,,79,,,,,79,,," ] || fail "64 abi: $(row newfstatat)"
[ "$(row fstatat64)" = "(no row fstatat64)" ] || fail "stat64 abi leaked: $(row fstatat64)"
[ "$(row riscv_hwprobe)" = "riscv_hwprobe,,,,,,258,,,,,,,," ] || fail "riscv abi: $(row riscv_hwprobe)"
[ "$(row memfd_secret)" = "memfd_secret,,,,447,,447,,,,,,,," ] || fail "memfd_secret abi: $(row memfd_secret)"
[ "$(row set_tls)" = "set_tls,,,,,983045,,,,,,,,," ] || fail "ARM private: $(row set_tls)"
[ "$(row time)" = "time,,,,,,,,13,,,,,," ] || fail "oabi/32 abis: $(row time)"
[ "$(row fcntl64)" = "fcntl64,,,,,,,,,,204,,,," ] || fail "ppc 32: $(row fcntl64)"
[ "$(row spu_create)" = "(no row spu_create)" ] || fail "spu abi leaked"
[ "$(row sys_read)" = "(no row sys_read)" ] || fail "entry point used as name"

# --extra: same entry again is fine, a new one is added, a conflict fails.
printf 'x86_64 0 read\nx86_64 5 fstat\n' >"$T/extra"
run --extra "$T/extra" | grep -qx 'fstat,5,,,,,,,,,,,,,' || fail "--extra add: $(cat "$T/err")"
printf 'x86_64 1 read\n' >"$T/conflict"
run --extra "$T/conflict" >/dev/null && fail "--extra conflict accepted"
grep -q 'conflicts' "$T/err" || fail "conflict message: $(cat "$T/err")"
printf 'x86_64 0 write\n' >"$T/dup"
run --extra "$T/dup" >/dev/null && fail "duplicate number accepted"
grep -q 'number 0 used by' "$T/err" || fail "dup message: $(cat "$T/err")"
printf 'nosuchcol 1 x\n' >"$T/badcol"
run --extra "$T/badcol" >/dev/null && fail "unknown column accepted"
printf '0 common Bad-Name sys_x\n' >>"$K/arch/x86/entry/syscalls/syscall_32.tbl"
run >/dev/null && fail "bad name accepted"
grep -q 'syscall_32.tbl:2: bad name' "$T/err" || fail "bad name message: $(cat "$T/err")"
sed -i '$d' "$K/arch/x86/entry/syscalls/syscall_32.tbl"
: >"$K/arch/mips/kernel/syscalls/syscall_n32.tbl"
run >/dev/null && fail "empty column accepted"
grep -q 'mips_n32 came out empty' "$T/err" || fail "empty column message: $(cat "$T/err")"

# The committed CSV: converter header and comment, 14 columns everywhere.
CSV=$SRC/data/syscalls.csv
[ "$(head -1 "$CSV")" = "# linux-version: 6.18" ] || fail "committed CSV first line"
[ "$(grep '^name,' "$CSV")" = "$hdr" ] || fail "committed CSV header"
bad=$(grep -v '^#' "$CSV" | awk -F, 'NF != 15' | head -3)
[ -z "$bad" ] || fail "committed CSV rows without 15 fields: $bad"

[ "$fails" = 0 ] && echo "syscalls_tbl2csv: all checks passed"
[ "$fails" = 0 ]
