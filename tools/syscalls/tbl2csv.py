#!/usr/bin/env python3
"""Turn the Linux kernel's syscall tables (*.tbl) into data/syscalls.csv.

usage: tbl2csv.py KERNEL_SRC_DIR [--extra FILE]... [--version 6.18] [-o data/syscalls.csv]

Reads, relative to KERNEL_SRC_DIR (a kernel source tree, >= 6.11 layout):
  arch/x86/entry/syscalls/syscall_64.tbl   -> x86_64 (abis common,64), x32 (common,x32)
  arch/x86/entry/syscalls/syscall_32.tbl   -> i386 (abi i386)
  scripts/syscall.tbl + arch/<a>/kernel/Makefile.syscalls (syscall_abis_64)
                                           -> aarch64, riscv64, loongarch64 (common,64,+arch abis)
  arch/arm/tools/syscall.tbl               -> arm (common,eabi) + the ARM private syscalls
     (__ARM_NR_* in arch/arm/include/uapi/asm/unistd.h, 0x0f0000 + n)
  arch/s390/kernel/syscalls/syscall.tbl    -> s390x (common,64), s390 (common,32)
  arch/powerpc/kernel/syscalls/syscall.tbl -> ppc64 (common,64,nospu), ppc (common,32,nospu)
  arch/mips/kernel/syscalls/syscall_{o32,n64,n32}.tbl -> mips_o32, mips_n64, mips_n32 (every abi)
The ABI sets are the ones the kernel's own Makefiles pass to syscallhdr.sh for
the uapi unistd headers. Numbers are stored raw (no MIPS 4000/5000/6000 base,
no x32 bit); src/syscalls/arch.cc adds ArchInfo::nr_offset.

--extra FILE adds "<column> <number> <name>" lines (see tools/syscalls/README.md):
used when the tree at hand is older than the version the CSV claims. An extra
entry that the tree already has with the same number is accepted silently; a
conflicting one is an error.
"""
import argparse
import os
import re
import sys

NAME_RE = re.compile(r'^[a-z0-9_]+$')


def die(msg):
    sys.stderr.write('tbl2csv: ' + msg + '\n')
    sys.exit(1)


def read_tbl(path, abis):
    """Yields (nr, name) for lines of `path` whose abi is in `abis` (None = all)."""
    out = []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) < 3:
                die('%s:%d: expected "<nr> <abi> <name> [entry...]"' % (path, ln))
            nr, abi, name = parts[0], parts[1], parts[2]
            if not nr.isdigit():
                die('%s:%d: bad number %r' % (path, ln, nr))
            if not NAME_RE.match(name):
                die('%s:%d: bad name %r' % (path, ln, name))
            if abis is None or abi in abis:
                out.append((int(nr), name, '%s:%d' % (path, ln)))
    return out


def generic_abis(src, arch):
    abis = {'common', '64'}
    mk = os.path.join(src, 'arch', arch, 'kernel', 'Makefile.syscalls')
    with open(mk) as f:
        for line in f:
            m = re.match(r'\s*syscall_abis_64\s*\+?=\s*(.*)$', line)
            if m:
                abis.update(m.group(1).split())
    return abis


def arm_private(src):
    path = os.path.join(src, 'arch/arm/include/uapi/asm/unistd.h')
    out = []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            m = re.match(r'#define\s+__ARM_NR_(\w+)\s+\(__ARM_NR_BASE\s*\+\s*(\d+)\)', line)
            if m:
                out.append((0x0f0000 + int(m.group(2)), m.group(1), '%s:%d' % (path, ln)))
    if not out:
        die(path + ': no __ARM_NR_* definitions found')
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('src')
    ap.add_argument('--extra', action='append', default=[])
    ap.add_argument('--version', default='6.18')
    ap.add_argument('-o', '--output', default='-')
    a = ap.parse_args()
    s = a.src
    x86 = 'arch/x86/entry/syscalls/'
    spec = [
        ('x86_64', lambda: read_tbl(os.path.join(s, x86 + 'syscall_64.tbl'), {'common', '64'})),
        ('i386', lambda: read_tbl(os.path.join(s, x86 + 'syscall_32.tbl'), {'i386'})),
        ('x32', lambda: read_tbl(os.path.join(s, x86 + 'syscall_64.tbl'), {'common', 'x32'})),
        ('aarch64', lambda: read_tbl(os.path.join(s, 'scripts/syscall.tbl'), generic_abis(s, 'arm64'))),
        ('arm', lambda: read_tbl(os.path.join(s, 'arch/arm/tools/syscall.tbl'), {'common', 'eabi'})
         + arm_private(s)),
        ('riscv64', lambda: read_tbl(os.path.join(s, 'scripts/syscall.tbl'), generic_abis(s, 'riscv'))),
        ('s390x', lambda: read_tbl(os.path.join(s, 'arch/s390/kernel/syscalls/syscall.tbl'), {'common', '64'})),
        ('s390', lambda: read_tbl(os.path.join(s, 'arch/s390/kernel/syscalls/syscall.tbl'), {'common', '32'})),
        ('ppc64', lambda: read_tbl(os.path.join(s, 'arch/powerpc/kernel/syscalls/syscall.tbl'),
                                   {'common', '64', 'nospu'})),
        ('ppc', lambda: read_tbl(os.path.join(s, 'arch/powerpc/kernel/syscalls/syscall.tbl'),
                                 {'common', '32', 'nospu'})),
        ('loongarch64', lambda: read_tbl(os.path.join(s, 'scripts/syscall.tbl'), generic_abis(s, 'loongarch'))),
        ('mips_o32', lambda: read_tbl(os.path.join(s, 'arch/mips/kernel/syscalls/syscall_o32.tbl'), None)),
        ('mips_n64', lambda: read_tbl(os.path.join(s, 'arch/mips/kernel/syscalls/syscall_n64.tbl'), None)),
        ('mips_n32', lambda: read_tbl(os.path.join(s, 'arch/mips/kernel/syscalls/syscall_n32.tbl'), None)),
    ]
    columns = [c for c, _ in spec]
    table = {}  # column -> {name: (nr, where)}

    def add(col, nr, name, where, extra=False):
        t = table.setdefault(col, {})
        if name in t:
            if t[name][0] == nr and extra:
                return
            die('%s: %s %s=%d conflicts with %s=%d from %s' % (where, col, name, nr, name, t[name][0], t[name][1]))
        for other, (onr, owhere) in t.items():
            if onr == nr:
                die('%s: %s number %d used by %s (%s) and %s' % (where, col, nr, other, owhere, name))
        t[name] = (nr, where)

    for col, fn in spec:
        for nr, name, where in fn():
            add(col, nr, name, where)
    for path in a.extra:
        with open(path) as f:
            for ln, line in enumerate(f, 1):
                line = line.split('#', 1)[0].strip()
                if not line:
                    continue
                parts = line.split()
                if len(parts) != 3 or parts[0] not in columns or not parts[1].isdigit() or not NAME_RE.match(parts[2]):
                    die('%s:%d: expected "<column> <number> <name>"' % (path, ln))
                add(parts[0], int(parts[1]), parts[2], '%s:%d' % (path, ln), extra=True)
    for col in columns:
        if not table.get(col):
            die('column %s came out empty' % col)
    names = sorted(set(n for t in table.values() for n in t))
    lines = ['# linux-version: %s' % a.version,
             '# Generated by tools/syscalls/tbl2csv.py from the kernel syscall tables; see docs/syscalls.md.',
             '# Raw table numbers: MIPS bases (4000/5000/6000) and the x32 bit are added by src/syscalls/arch.cc.',
             'name,' + ','.join(columns)]
    for n in names:
        row = [n] + [str(table[c][n][0]) if n in table[c] else '' for c in columns]
        lines.append(','.join(row))
    text = '\n'.join(lines) + '\n'
    if a.output == '-':
        sys.stdout.write(text)
    else:
        with open(a.output, 'w') as f:
            f.write(text)
    sys.stderr.write('tbl2csv: %d names, %s\n' % (len(names), ', '.join('%s=%d' % (c, len(table[c])) for c in columns)))


if __name__ == '__main__':
    main()
