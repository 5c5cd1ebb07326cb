#!/usr/bin/env python3
"""The corpus runner's judge and reporter (tests/corpus/run.sh).

  verdict.py RESULT_DIR NAME KIND [PROBLEM...]   compare the unconfined and confined check runs of one
                                                 program, write RESULT_DIR/result.json, print one line;
                                                 exit 1 on a false denial or a near miss not denied
  verdict.py --report WORK OUT.md NAME...        the markdown report from WORK/NAME/result.json
"""
import json
import os
import re
import subprocess
import sys

DOCKER_DEFAULT = 290  # syscalls Docker's default profile allows unconditionally on x86_64 (default caps)
DENIAL_WORDS = re.compile(r"permission denied|operation not permitted|function not implemented|bad system call",
                          re.I)


def read(path, default=""):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


def seccomp_stats(path):
    d = json.loads(read(path, "{}") or "{}")
    uncond, cond, errno = set(), set(), set()
    for r in d.get("syscalls", []):
        names = set(r.get("names", []))
        if r.get("action") == "SCMP_ACT_ALLOW":
            if r.get("args") or r.get("includes") or r.get("excludes"):
                cond |= names
            else:
                uncond |= names
        else:
            errno |= names
    return {"unconditional": len(uncond), "argument_rules": len(cond - uncond), "errno_names": sorted(errno),
            "conditional_names": sorted(cond - uncond)}


def apparmor_stats(path):
    body, depth = [], 0
    for raw in read(path).splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        if line.endswith("{"):
            depth += 1
            continue
        if line == "}":
            depth -= 1
            continue
        if depth >= 1:
            body.append(line)
    paths = []
    for r in body:
        m = re.match(r"^(?:(?:audit|deny|owner|allow)\s+)*(/\S*|@\{\S+)\s+\S+,$", r)
        if m:
            paths.append(m.group(1))
    globs = [p for p in paths if any(c in p for c in "*?[{")]
    dirs = [p for p in paths if p.endswith("/") or p.endswith("/**") or p.endswith("/*")]
    return {"path_rules": len(paths), "globs": len(globs), "directories": len(dirs), "other_rules": len(body) - len(paths)}


def klog_events(path):
    try:
        d = json.loads(read(path))
    except ValueError:
        return []
    out = []
    for e in d.get("events", []):
        if e.get("kind") == "seccomp":
            if str(e.get("action", "")).upper().startswith("ALLOW"):
                continue
            out.append(f"kernel seccomp record: {e.get('comm')} {e.get('syscall')} ({e.get('action')})")
        else:
            out.append(f"kernel {e.get('kind')} record: {e.get('comm')} {json.dumps(e.get('fields', {}))[:160]}")
    return out


def complain_events(path):
    """Complain-pass events, one line per syscall, and per (directory, access) for file accesses."""
    order, groups = [], {}
    for raw in read(path).splitlines():
        try:
            e = json.loads(raw)
        except ValueError:
            continue
        if e.get("kind") == "seccomp":
            k, item = ("seccomp", e.get("syscall")), e.get("comm")
        elif e.get("kind") == "apparmor":
            # "enforcer": "landlock": the AppArmor rules allow it, their Landlock translation does not.
            p, enf = str(e.get("path")), e.get("enforcer") or "apparmor"
            access = e.get("landlock") if enf == "landlock" and e.get("landlock") else e.get("denied") or e.get("requested")
            k, item = ("apparmor", os.path.dirname(p), access, e.get("operation"), enf), p
        else:
            k, item = ("other", raw[:160]), ""
        if k not in groups:
            order.append(k)
            groups[k] = []
        if item not in groups[k]:
            groups[k].append(item)
    out = []
    for k in order:
        items = groups[k]
        if k[0] == "seccomp":
            out.append(f"seccomp would deny {k[1]} ({', '.join(items)}) -> allow {k[1]}")
        elif k[0] == "apparmor":
            what = items[0] if len(items) == 1 else f"{len(items)} paths in {k[1]}/ (e.g. {os.path.basename(items[0])})"
            fix = f"{items[0]} {k[2]}," if len(items) == 1 else f"{k[1]}/* {k[2]},"
            if k[4] == "landlock":
                out.append(f"landlock would deny {k[3]} {what} ({k[2]}; the AppArmor rules allow it, "
                           f"their Landlock translation does not: confine apparmor to-landlock)")
            else:
                out.append(f"apparmor would deny {k[3]} {what} ({k[2]}) -> rule `{fix}`")
        else:
            out.append(k[1])
    return out


def counted(lines):
    out, n = [], {}
    for l in lines:
        if l not in n:
            out.append(l)
        n[l] = n.get(l, 0) + 1
    return [l if n[l] == 1 else f"{l} x{n[l]}" for l in out]


def diff_lines(a, b, limit=6):
    r = subprocess.run(["diff", "-u", a, b], capture_output=True, text=True, errors="replace")
    lines = [l for l in r.stdout.splitlines()[2:] if l[:1] in "+-"]
    return lines[:limit]


def verdict(rdir, name, kind, problems):
    src_meta = os.path.join(os.path.dirname(os.path.abspath(__file__)), name, "meta")
    meta = dict(l.split("=", 1) for l in read(src_meta).splitlines() if "=" in l)
    j = lambda f: os.path.join(rdir, f)
    res = {"name": name, "kind": kind, "axes": meta.get("axes", ""), "packages": meta.get("packages", ""),
           "vm": meta.get("vm", "no"), "seconds": read(j("seconds")).strip()}
    res["seccomp"] = seccomp_stats(j("profile/seccomp.json"))
    res["apparmor"] = apparmor_stats(j("profile/apparmor.profile"))
    m = re.search(r"file rules enforced through (Landlock ABI \d+ \([^)]*\))", read(j("enforce.err")))
    res["enforcer"] = "seccomp (SECCOMP_FILTER_FLAG_LOG) + " + (m.group(1) if m else "NO Landlock layer reported")
    false = list(problems)
    prc, erc = read(j("plain.rc")).strip(), read(j("enforce.rc")).strip()
    if prc != erc:
        false.append(f"exit status: unconfined {prc}, confined {erc}")
    if read(j("plain.out")) != read(j("enforce.out")):
        false.append("stdout differs: " + " | ".join(diff_lines(j("plain.out"), j("enforce.out"))))
    if read(j("plain.files")) != read(j("enforce.files")):
        false.append("files under DATA differ: " + " | ".join(diff_lines(j("plain.files"), j("enforce.files"))))
    plain_err = set(l for l in read(j("plain.err")).splitlines())
    errs = [l.strip() for l in read(j("enforce.err")).splitlines()
            if DENIAL_WORDS.search(l) and l not in plain_err and not l.startswith("confine: ")]
    false += ["stderr: " + l[:200] for l in errs[:3]]
    if len(errs) > 3:
        false.append(f"stderr: {len(errs) - 3} more denial message(s)")
    false += counted(klog_events(j("enforce.klog")))
    deliberate = set(res["seccomp"]["errno_names"])
    named = [x for x in complain_events(j("complain.jsonl"))
             if not any(x.startswith(f"seccomp would deny {d} ") for d in deliberate)]
    res["complain"] = named
    false += named
    if prc != "0":
        false.append(f"the unconfined check run itself exited {prc}: the entry is broken")
    res["false_denials"] = false
    # near miss
    nm_plain, nm_rc = read(j("nm_plain.rc")).strip(), read(j("nm.rc")).strip()
    nm_records = klog_events(j("nm.klog"))
    if nm_plain != "0":
        res["near_miss"] = f"BROKEN: exits {nm_plain} unconfined (proves nothing): {read(j('nm_plain.out')).strip()[-160:]}"
        nm_ok = False
    elif nm_rc != "0" or nm_records:
        how = []
        if nm_rc != "0":
            how.append(f"exit {nm_rc}")
        if nm_records:
            how.append(f"{len(nm_records)} record(s): {nm_records[0]}")
        msg = [l for l in read(j("nm.out")).splitlines() if DENIAL_WORDS.search(l) and not l.startswith("confine: ")]
        res["near_miss"] = "denied (" + "; ".join(how) + ")" + (f": {msg[0].strip()[:120]}" if msg else "")
        nm_ok = True
    else:
        res["near_miss"] = "NOT DENIED: exit 0 under the profile, no record"
        nm_ok = False
    res["pass"] = not false and nm_ok
    with open(j("result.json"), "w") as f:
        json.dump(res, f, indent=1)
    sc, aa = res["seccomp"], res["apparmor"]
    head = (f"{name} ({kind}): {sc['unconditional']} syscalls + {sc['argument_rules']} with argument rules, "
            f"{aa['path_rules']} path rules ({aa['globs']} globs); {res['seconds']} s")
    if res["pass"]:
        print(f"PASS: {head}; check: 0 false denials; near miss {res['near_miss']}")
        return 0
    lines = [f"FAIL: {head}"]
    lines += [f"    false denial: {x}" for x in false[:12]]
    if len(false) > 12:
        lines.append(f"    ... {len(false) - 12} more (RESULT_DIR/result.json)")
    if not nm_ok:
        lines.append(f"    near miss: {res['near_miss']}")
    print("\n".join(lines))
    return 1


def md(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def report(work, out, names):
    rows = []
    for n in names:
        try:
            with open(os.path.join(work, n, "result.json")) as f:
                rows.append(json.load(f))
        except (OSError, ValueError):
            rows.append({"name": n, "missing": True})
    done = [r for r in rows if not r.get("missing")]
    commit = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "describe", "--always",
                             "--dirty"], capture_output=True, text=True).stdout.strip()
    L = ["# Profile quality: the corpus", "",
         "Generated by `make quality` (`tests/corpus/run.sh --report docs/profile-quality.md`) at commit "
         f"`{commit}`: for each program of `tests/corpus/` (real programs from Debian packages; services driven by",
         "load scripts) `confine record` with the default generator on the training input, then the check input",
         "(other sizes, new files in the same directories, other headers/modules, slow consumers, more threads)",
         "unconfined and under the generated profile: seccomp (with `SECCOMP_FILTER_FLAG_LOG`) plus the AppArmor",
         "profile's file rules through Landlock. A false denial is any difference from the unconfined run (exit",
         "status, stdout, files written under the data directory), a denial message on stderr the unconfined run",
         "did not print, a kernel seccomp/Landlock record of the run, or an access a second pass in complain mode",
         "(`confine run --mode complain --apparmor-mode complain`) reports the profile would deny. The near miss",
         "(a sibling directory of the data, or an unrecorded member of a recorded syscall family) runs under the",
         "same profile and must be denied. Docker's default profile allows 290 syscalls unconditionally on x86_64.",
         "",
         "| program | kind | check differs by | syscalls (any args) | % of Docker's 290 | with argument rules | AppArmor path rules (globs, dirs) | check: false denials (grouped items) | near miss |",
         "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("missing"):
            L.append(f"| {r['name']} | | | | | | | not run | |")
            continue
        sc, aa = r["seccomp"], r["apparmor"]
        fd = len(r["false_denials"])
        L.append(f"| {r['name']} | {r['kind']} | {md(r['axes'])} | {sc['unconditional']} | "
                 f"{100 * sc['unconditional'] / DOCKER_DEFAULT:.1f} % | {sc['argument_rules']} | "
                 f"{aa['path_rules']} ({aa['globs']}, {aa['directories']}) | "
                 f"{'0' if fd == 0 else f'**{fd}**'} | {md(r['near_miss'])} |")
    L.append("")
    if done:
        avg = sum(r["seccomp"]["unconditional"] for r in done) / len(done)
        big = max(done, key=lambda r: r["seccomp"]["unconditional"])
        nfd = sum(1 for r in done if r["false_denials"])
        L += [f"Programs: {len(done)} ({sum(1 for r in done if r['kind'] == 'service')} services). "
              f"Average syscalls allowed for any argument values: {avg:.1f} = "
              f"**{100 * avg / DOCKER_DEFAULT:.1f} %** of Docker's default 290 (target: <= 35 %). "
              f"Largest profile: {big['name']}, {big['seccomp']['unconditional']} syscalls "
              f"({100 * big['seccomp']['unconditional'] / DOCKER_DEFAULT:.1f} %).",
              "",
              f"Programs with false denials on their check input: **{nfd}** of {len(done)}. "
              f"Near misses not denied: **{sum(1 for r in done if not r['near_miss'].startswith('denied'))}**.", ""]
        L += ["Enforcer of every check run: " + "; ".join(sorted(set(re.sub(r" \(\d+ path rules; \d+ approximations.*",
                                                                          "", r["enforcer"]) for r in done))) + ".", ""]
    bad = [r for r in done if r["false_denials"]]
    if bad:
        L += ["## False denials on the check inputs", "",
              "Each line names the difference or the denied access (from the complain pass: the rule that would fix it).", ""]
        known = {}
        for l in read(os.path.join(os.path.dirname(os.path.abspath(__file__)), "known-false-denials")).splitlines():
            if ":" in l and not l.startswith("#"):
                known[l.split(":", 1)[0].strip()] = l.split(":", 1)[1].strip()
        for r in bad:
            L.append(f"### {r['name']}")
            L.append("")
            if r["name"] in known:
                L += [f"Why (tests/corpus/known-false-denials): {md(known[r['name']])}", ""]
            for x in r["false_denials"][:15]:
                L.append(f"- {md(x)}")
            if len(r["false_denials"]) > 15:
                L.append(f"- ... and {len(r['false_denials']) - 15} more")
            L.append("")
    L += ["## Reproduce", "", "```sh",
          "make quality                                   # every program, rewrites this file",
          "bash tests/corpus/run.sh --keep redis sqlite3  # some programs; results in /var/tmp/confine-corpus/NAME/",
          "```", ""]
    text = "\n".join(L)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, out)
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--report":
        sys.exit(report(sys.argv[2], sys.argv[3], sys.argv[4:]))
    sys.exit(verdict(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
