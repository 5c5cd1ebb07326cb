#!/usr/bin/env bash
# Held-out checks (issue 12, docs/heldout.md): programs that are NOT in tests/corpus, each
# hardened with `confine harden --train A --check B` (default tightness), where B differs from A
# along one axis: other files of the same directory, a bigger input, other modules or options, an
# output tree that now exists. Fails on any false denial or mismatch. Then near misses that the
# hardened profile must deny (a file beside the data it was never given, writing where the
# program only read, a program it never ran).
#   bash heldout.sh CONFINE_BIN SRC_DIR
set -uo pipefail
CONFINE=$(readlink -f "$1")
W=$(mktemp -d /tmp/confine-heldout.XXXXXX)
trap 'rm -rf "$W"' EXIT
export TMPDIR=$W/tmp
fails=0
check() { if eval "$2"; then echo "PASS: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }
for p in perl file bc cp sha256sum rsync unzip python3 msgfmt tclsh xmllint iconv groff csplit diff3 sdiff tar; do
  command -v $p >/dev/null || { echo "SKIP: $p not installed (DEPS_TEST)"; exit 77; }
done

mkdir -p "$W/tmp" "$W/in" "$W/out" "$W/tree/a" "$W/secret"
cd "$W" || exit 1
seq 1 300 | sed 's/^/alpha beta line /' >in/small.txt
seq 1 50000 | sed 's/^/gamma delta epsilon line /' >in/big.txt
printf '#!/usr/bin/python3\nprint(1)\n' >in/prog.py
head -c 20000 /dev/urandom >in/blob.bin
for i in 1 2 3; do echo "file $i" >tree/a/f$i.txt; done
echo 'top secret' >secret/key.txt
mkdir -p tree2/a tree2/b/c
for i in 1 2 3 4 5 6; do seq $i 100 >tree2/a/f$i.txt; done
echo deep >tree2/b/c/deep.txt
python3 -c 'import shutil; shutil.make_archive("t1", "zip", "tree"); shutil.make_archive("t2", "zip", "tree2")'
# Third pass (docs/heldout.md): check inputs in a nested directory with spaces and non-ASCII names,
# bigger and empty inputs, outputs that already exist.
U="in/sub dir/ünï"
mkdir -p "$U"
printf 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "hello"\nmsgstr "bonjour"\n' >in/a.po
{ printf 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\nPlural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
  for i in $(seq 1 500); do printf 'msgid "m%s"\nmsgid_plural "ms%s"\nmsgstr[0] "é%s"\nmsgstr[1] "és%s"\n\n' $i $i $i $i; done
} >"$U/b è.po"
echo 'puts [expr {6*7}]' >in/a.tcl
printf 'package require msgcat\nset f [open [lindex $argv 0]]\nset n 0\nwhile {[gets $f l] >= 0} {incr n}\nputs "$n [clock format 0 -gmt 1]"\n' >in/b.tcl
printf '<?xml version="1.0"?>\n<lib><book id="1"><t>Alpha</t></book></lib>\n' >in/a.xml
{ printf '<?xml version="1.0" encoding="UTF-8"?>\n<lib xmlns:x="urn:x">\n'
  seq 1 5000 | sed 's|.*|  <book id="&"><t>Tïtle &</t><x:n>&</x:n></book>|'; echo '</lib>'; } >"$U/grö ß.xml"
printf 'héllo wörld\nline two\n' >in/u8.txt
seq 1 20000 | sed 's/$/ ßüé ligne/' >"$U/big u8.txt"
: >in/empty.txt
printf '.TH A 1\n.SH NAME\na \\- small page\n.SH DESCRIPTION\nText.\n' >in/a.1
{ printf '.TH B 1\n.SH NAME\nb \\- a bigger pagé\n'; for i in $(seq 1 200); do printf '.SH S%s\n.TP\n.B opt%s\nWörds \\fIitalic\\fR %s.\n' $i $i $i; done; } >"$U/b man.1"

# harden NAME TRAIN CHECK: passes when the check ran enforced with no false denial.
harden() {
  local name=$1
  timeout -k 5 120 "$CONFINE" harden -o "$W/prof-$name" --train "$2" --check "$3" </dev/null \
    >"$W/$name.out" 2>"$W/$name.err"
  local rc=$?
  if [ $rc != 0 ]; then sed 's/^/    /' "$W/$name.out" | grep -E 'false denial|fix:|mismatch|result' | head -20; fi
  check "$name: no false denial on held-out input (exit $rc)" \
    "[ $rc = 0 ] && grep -q 'result     OK: 1 check passed enforced, 0 false denials' '$W/$name.out'"
}

# perl: other core modules (List::Util, POSIX) and a 50x bigger input than training.
harden perl "perl -ne '\$c{\$_}++ for split; END { print scalar(keys %c), qq(\\n) }' in/small.txt" \
  "perl -MList::Util=sum -MPOSIX=floor -ne '\$s += length; END { print floor(\$s/3), qq(\\n) }' in/big.txt"
# file(1) with libmagic: other files of the same directory, of other types (binary, script).
harden file "file in/small.txt" "file in/big.txt in/blob.bin in/prog.py"
# bc: the -l math library (sine, log, sqrt) after plain integer arithmetic.
harden bc "echo '2^100 + 7*3' | bc" "echo 's(1)+l(10)+sqrt(2)' | bc -l"
# sha256sum: more files of the same directory, a bigger one, into a pipe.
harden sha256sum "sha256sum in/small.txt | cat" "sha256sum in/small.txt in/big.txt in/prog.py | cat"
# rm -rf of an output tree: training removed a tree that did not exist yet, the check one with entries
# (gnulib fts then uses fcntl: the companion row added for it, docs/heldout.md).
harden rmtree "rm -rf out/cp && mkdir -p out/cp && cp tree/a/* out/cp/ && ls out/cp" \
  "rm -rf out/cp/* && mkdir -p out/cp/sub && cp tree/a/* out/cp/sub/ && rm -rf out/cp/sub && ls out/cp"
# rsync: the tree into a new, deeper sub-directory of the output tree training made, then
# --delete back: training deleted a stale file, the check also a directory (rmdir). (Until the
# listings were recorded the check synced tree2/, a directory beside the input tree, and passed
# only because rsync's O_PATH opens of the working directory made it the walked tree's root:
# the same profile copied secret/, near miss below.)
harden rsync "rsync -a tree/ out/rs/ && echo old >out/rs/stale.txt && rsync -a --delete tree/ out/rs/" \
  "rsync -a tree/ out/rs/b/ && rsync -a --delete tree/ out/rs/"
# unzip over the directory training extracted into, from an archive with a deeper tree.
harden unzip "unzip -q -o t1.zip -d out/uz && ls out/uz" "unzip -q -o t2.zip -d out/uz && ls out/uz"
# The same into a directory removed and created again: Landlock rules name inodes, and the
# re-created out/uz2 is a new one (row recreate-tree gives its file rights to out/; before it,
# a mismatch with 0 false denials). The training's mkdir -p of out (there before) is no
# creation (the recorder's mkdir check): else out/ would be the created directory and the
# row would reach the whole workspace (near miss below).
harden unzip-recreated "rm -rf out/uz2 && mkdir -p out/uz2 && unzip -q t1.zip -d out/uz2 && ls out/uz2" \
  "rm -rf out/uz2 && mkdir -p out/uz2 && unzip -q t2.zip -d out/uz2 && ls -R out/uz2"
# rsync into a re-created tree (the same gap), a deeper copy in it, then --delete back.
harden rsync-recreated "rm -rf out/rs2 && rsync -a tree/ out/rs2/ && ls out/rs2" \
  "rm -rf out/rs2 && rsync -a tree/ out/rs2/ && rsync -a tree/ out/rs2/b/ && rsync -a --delete tree/ out/rs2/ && ls out/rs2"
# gpg starts gpg-agent, a daemon that outlives gpg: harden's recording ends with gpg (a note
# names the daemon) instead of waiting for the agent until harden's timeout. Encrypt and
# decrypt; the check: a 170x bigger input. (Its dotlock links a pid- and host-named temporary
# to pubring.kbx.lock: data-dir's write rules carry l for a program that links.)
if command -v gpg >/dev/null && command -v gpgconf >/dev/null; then
  mkdir -p out/g && chmod 700 out/g
  G="gpg --batch --homedir out/g --passphrase pw --pinentry-mode loopback"
  harden gpg "$G -o out/s.gpg --yes --symmetric in/small.txt && $G -d out/s.gpg | wc -l" \
    "$G -o out/b.gpg --yes --symmetric in/big.txt && $G -d out/b.gpg | wc -l"
  check "gpg: the recording named gpg-agent as a daemon left running" "grep -q 'only daemons.*gpg-agent' '$W/gpg.err'"
  gpgconf --homedir out/g --kill gpg-agent 2>/dev/null
else
  echo "SKIP: gpg not installed: the daemon case (DEPS_TEST: gnupg)"
fi

# msgfmt writes a temporary and renames it over its output; when the output exists (the check's
# second run) gnulib's supersede first gives the temporary the old file's times, owner and mode
# (utimensat, chown, chmod): the companion row for rename (before it, 3 silent false denials).
harden msgfmt "msgfmt -o out/a.mo in/a.po" "msgfmt --statistics -o 'out/b è.mo' '$U/b è.po' && msgfmt -o out/a.mo in/a.po"
# tclsh: package require lists tcl8/ for *.tm modules (getdents64): the interpreter row.
harden tclsh "tclsh in/a.tcl" "tclsh in/b.tcl '$U/big u8.txt' && tclsh in/b.tcl in/empty.txt"
# xmllint, iconv (another gconv module), groff (another output device), csplit: a nested input with
# spaces and non-ASCII names, 50-1000x bigger, an empty one, outputs with such names.
harden xmllint "xmllint --format in/a.xml >out/a.xml && xmllint --xpath 'count(//book)' in/a.xml" \
  "xmllint --format '$U/grö ß.xml' >'out/f ü.xml' && xmllint --xpath 'count(//book)' '$U/grö ß.xml'"
harden iconv "iconv -f UTF-8 -t ISO-8859-1 in/u8.txt >out/l1.txt" \
  "iconv -f UTF-8 -t UTF-16 '$U/big u8.txt' >out/u16.txt && iconv -f UTF-8 -t IBM037 in/u8.txt >'out/e ü.txt'"
harden groff "groff -man -Tascii in/a.1 >out/a.txt" "groff -man -Tutf8 '$U/b man.1' >'out/b ü.txt' && groff -man -Tascii in/empty.txt >out/e.txt"
harden csplit "csplit -s -f out/p in/u8.txt 2" "csplit -s -f 'out/q ü' '$U/big u8.txt' 5000 '{2}'"
# Fourth pass: split by lines on training, into N chunks on the check (split -n measures and seeks its input).
harden split "split -l 100 in/small.txt out/sl" "split -n 5 in/big.txt 'out/sn ü'"
# Fourth pass (docs/heldout.md): ln -sf over a link that exists makes the new link under a
# temporary name and renames it over (seccomp row link -> rename; AppArmor checks the rename's
# source for r). Before: 5 false denials, and the training's link was resolved to its target:
# in/* w, the input directory writable (near miss below).
harden ln "ln -sf ../in/small.txt out/l1" "ln -sf ../in/u8.txt out/l1 && ln -sf '../$U/big u8.txt' 'out/l ü'"
# install -D into new, deeper directories with non-ASCII names, then over an existing file.
harden install "install -D -m 644 in/small.txt out/inst/a/x.txt" \
  "install -D -m 600 '$U/big u8.txt' 'out/inst/b ü/c/y.txt' && install -m 644 in/u8.txt out/inst/a/x.txt"
# tar -x into a tree that exists: overwrites a file, a deeper new sub-directory, non-ASCII names.
mkdir -p ts1/a ts2/a ts2/b/c/d && echo one >ts1/a/x.txt && echo two >ts2/a/x.txt && seq 1 1000 >ts2/b/c/d/deep.txt &&
  echo ü >"ts2/b/ü y.txt" && tar -cf in/t1.tar -C ts1 . && tar -cf in/t2.tar -C ts2 . && rm -rf ts1 ts2
harden tarx "mkdir -p out/tx && tar -xf in/t1.tar -C out/tx" "mkdir -p out/tx && tar -xf in/t2.tar -C out/tx"
# diff3 -m and sdiff (both run diff): 1500x bigger inputs with non-ASCII names in the nested directory.
seq 1 20 >in/d1.txt && seq 1 20 | sed 's/5/five/' >in/d2.txt && seq 1 20 | sed 's/15/fifteen/' >in/d3.txt
seq 1 30000 >"$U/d1 ü.txt" && seq 1 30000 | sed 's/^5/five/' >"$U/d2 ü.txt" && seq 1 30000 | sed 's/7$/seven/' >"$U/d3 ü.txt"
harden diff3 "diff3 -m in/d1.txt in/d2.txt in/d3.txt >out/m.txt; sdiff -s -w 60 in/d1.txt in/d2.txt; echo \$?" \
  "diff3 -m '$U/d1 ü.txt' '$U/d2 ü.txt' '$U/d3 ü.txt' >'out/m ü.txt'; sdiff -s -w 60 '$U/d1 ü.txt' '$U/d2 ü.txt'; echo \$?"
# python3 script beside its data (the working directory): python lists sys.path[0] and reads
# in/... by name. Before the third pass that made the working directory a walked tree: the
# profile let the script write its inputs and itself and read secret/ (near misses below).
printf 'import sys, json, hashlib\nd = open(sys.argv[1], "rb").read()\njson.dump({"n": len(d), "h": hashlib.sha256(d).hexdigest()}, open(sys.argv[2], "w"))\n' >sum.py
harden pyscript "/usr/bin/python3 sum.py in/small.txt out/s.json" "/usr/bin/python3 sum.py '$U/big u8.txt' 'out/b ü.json'"
# ed keeps its buffer in glibc's tmpfile(3): an O_TMPFILE open of /tmp, which the profile had as
# `/tmp/ rw` and Landlock could not grant (ed failed under confine run even on its training
# input): row tmpfile (/tmp/#* rw).
if command -v ed >/dev/null; then
  printf ',s/l/L/g\nw out/ed.txt\nq\n' >in/ed1.cmd
  printf '$a\nend\n.\n,s/e/E/g\nw out/ed ü.txt\nq\n' >in/ed2.cmd
  harden ed "ed -s in/u8.txt <in/ed1.cmd" "ed -s '$U/big u8.txt' <in/ed2.cmd && ed -s in/empty.txt <in/ed2.cmd"
else
  echo "SKIP: ed not installed: the tmpfile pair (DEPS_TEST: ed)"
fi
# node reads its cgroup's memory limits where /proc/self/cgroup names them: recorded in this
# shell's cgroup, enforced under confine run's cgroup namespace (the hierarchy's root): row
# cgroup-root (before it, 2 false denials here, where this shell is not in the root cgroup).
if command -v node >/dev/null; then
  NJ='const fs=require("fs"),z=require("zlib");fs.writeFileSync(process.argv[2],z.gzipSync(fs.readFileSync(process.argv[1])))'
  harden node "node -e '$NJ' in/u8.txt out/n1.gz" "node -e '$NJ' '$U/big u8.txt' 'out/n ü.gz'"
else
  echo "SKIP: node not installed: the cgroup-root pair (DEPS_TEST_CMDS: nodejs)"
fi

# --- near misses: the hardened profiles must deny what the program never needed.
# denied WHAT PROF CMD: `confine run` with the hardened profile; passes when CMD failed or, for
# a program that reports an unreadable file and exits 0 (file, perl -n), said "Permission denied";
# and never when the secret reached its output.
denied() {
  timeout -k 5 60 "$CONFINE" run --profile "$W/prof-$2" -- sh -c "$3" >"$W/nm.out" 2>"$W/nm.err" </dev/null
  local rc=$?
  check "near miss denied ($1): exit $rc" \
    "{ [ $rc != 0 ] || grep -Eq 'Permission denied|no read permission' '$W/nm.out' '$W/nm.err'; } && ! grep -q 'top secret' '$W/nm.out'"
}
if [ -d "$W/prof-file" ] && [ -d "$W/prof-perl" ] && [ -d "$W/prof-rmtree" ]; then
  denied "file: a directory beside the data" file "file secret/key.txt"
  denied "perl: read a file outside the data directory" perl "perl -ne 'print' secret/key.txt"
  denied "perl: write into the input directory" perl "perl -e 'open(F, q(>), q(in/new.txt)) or die \$!'"
  denied "rm -rf: remove the input tree" rmtree "rm -rf tree/a"
  check "the input tree is still there" "[ -f tree/a/f1.txt ] && [ -f secret/key.txt ]"
  denied "bc profile: run a program bc never ran" bc "cat in/small.txt"
  denied "unzip: extract into the input tree" unzip "unzip -q -o t1.zip -d tree/a"
  if [ -d "$W/prof-ln" ]; then
    # the link is the rule, never its target: the input directory stays read-only
    denied "ln: a link in the input directory" ln "ln -sf ../out/l1 in/evil"
    denied "ln profile: write into the input directory" ln "echo x >in/new.txt"
    check "ln: the input directory is as it was" "[ ! -e in/evil ] && [ ! -e in/new.txt ]"
  fi
  if [ -d "$W/prof-rsync" ]; then
    # rsync opens the working directory (O_PATH) but lists only tree/: the walked tree is tree/,
    # never the workspace (before the listings were recorded: WORKSPACE/** r, the secret copied).
    denied "rsync: copy a directory beside the input tree" rsync "rsync -a secret/ out/rs/x/"
    denied "rsync: list a directory beside the input tree" rsync "rsync -r --list-only secret/"
    check "rsync: the secret was not copied" "[ ! -e out/rs/x/key.txt ]"
  fi
  if [ -d "$W/prof-pyscript" ]; then
    denied "python script: overwrite its input" pyscript "/usr/bin/python3 sum.py in/small.txt in/small.txt"
    denied "python script: overwrite itself" pyscript "/usr/bin/python3 sum.py in/small.txt sum.py"
    denied "python script: read a directory beside its data" pyscript "/usr/bin/python3 sum.py secret/key.txt out/k.json"
    check "the python script's input and itself are intact" "grep -q 'alpha beta line 1\$' in/small.txt && grep -q hashlib sum.py"
  fi
  if [ -d "$W/prof-msgfmt" ] && [ -d "$W/prof-tclsh" ]; then
    # the rename row adds chmod/chown, never the right to write beside the input
    denied "msgfmt: write into the input directory" msgfmt "msgfmt -o in/x.mo in/a.po"
    denied "tclsh: read a file outside the data directory" tclsh "tclsh in/b.tcl secret/key.txt"
  fi
  if [ -d "$W/prof-unzip-recreated" ]; then
    # recreate-tree gives out/ (the re-created directory's parent) its file rights; never
    # the workspace: the input tree beside it stays out of reach.
    denied "re-created output: remove the input tree beside it" unzip-recreated "rm -rf tree/a"
    denied "re-created output: extract into the input tree" unzip-recreated "unzip -q -o t1.zip -d tree/a"
    check "the input tree is still there (after the re-created output's near misses)" "[ -f tree/a/f1.txt ]"
  fi
else
  echo "FAIL: a hardened profile is missing, near misses not run"
  fails=$((fails + 1))
fi

[ $fails = 0 ] && echo "heldout: all passed" || echo "heldout: $fails failure(s)"
[ $fails = 0 ]
