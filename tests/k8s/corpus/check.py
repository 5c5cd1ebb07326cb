#!/usr/bin/env python3
"""`confine k8s scan` over the corpus of real manifests (extract.py laid it out), checked against an
independent reading of the same files by python3-yaml (PyYAML, YAML 1.1 like Kubernetes' go-yaml v2):

  check.py CONFINE CORPUS_DIR WORK_DIR

Per file (each scanned alone, bounded by a timeout): exit 0/1 with one JSON result per object that
python3-yaml finds, in the same order and of the same kind, every unsupported kind reported as
`scan/kindNotSupported` and no supported one; or exit 3 with an error at FILE:LINE:COL where
python3-yaml cannot read the file either. Anything else (a crash, a hang, a count or kind that
differs, an error python3-yaml does not see) is a failure. Then, over every workload object at
baseline, three predicates python evaluates itself: hostNetwork/hostPID/hostIPC true ->
hostNamespaces, a privileged container -> privileged, a hostPath volume -> hostPathVolumes (each
both ways: flagged exactly when python says so). Writes WORK_DIR/ok/ (the files both read, for the
directory scans), WORK_DIR/json/ (python3-yaml's reading as JSON, for the CEL comparison and the
YAML-vs-JSON comparison) and WORK_DIR/expect.json (counts). Prints PASS/FAIL lines; exit 1 on any
failure."""
import json
import os
import re
import shutil
import subprocess
import sys

import yaml

confine, corpus, work = sys.argv[1:4]
WORKLOADS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
             "ReplicationController", "PodTemplate"}
fails = 0


def fail(msg):
    global fails
    fails += 1
    print("FAIL: " + msg)


def flatten(v, out, depth=0):
    # the same flattening as confine's scan (src/k8s/scan.cc): arrays and *List items, 4 deep at most
    if isinstance(v, list) and depth < 4:
        for i in v:
            flatten(i, out, depth + 1)
        return
    if (isinstance(v, dict) and depth < 4 and isinstance(v.get("kind"), str) and v["kind"].endswith("List")
            and isinstance(v.get("items"), list)):
        for i in v["items"]:
            flatten(i, out, depth + 1)
        return
    out.append(v)


def pod_spec(o):
    k, s = o.get("kind"), o.get("spec") or {}
    if k == "Pod":
        return s
    if k == "PodTemplate":
        return (o.get("template") or {}).get("spec") or {}
    if k == "CronJob":
        return ((((s.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")) or {}
    return ((s.get("template") or {}).get("spec")) or {}


def containers(ps):
    for k in ("initContainers", "containers", "ephemeralContainers"):
        for c in ps.get(k) or []:
            if isinstance(c, dict):
                yield c


files = []
for dp, _, fs in os.walk(corpus):
    for f in fs:
        if f.endswith((".yaml", ".yml")):
            files.append(os.path.relpath(os.path.join(dp, f), corpus))
files.sort()
os.makedirs(os.path.join(work, "ok"), exist_ok=True)
os.makedirs(os.path.join(work, "json"), exist_ok=True)
total = scanned_files = refused = 0
kinds_total = {}
workloads = []  # (file, index in file, object)
for rel in files:
    path = os.path.join(corpus, rel)
    try:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        py_err = None
    except yaml.YAMLError as e:
        docs, py_err = None, str(e).split("\n")[0]
    try:
        p = subprocess.run([confine, "k8s", "scan", path, "-o", "json", "--level", "baseline", "--exit-code", "0"],
                           capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        fail(f"{rel}: scan still running after 60 s (a hang)")
        continue
    if p.returncode == 3:
        refused += 1
        if not re.match(r"(confine: error: )?" + re.escape(path) + r":\d+:\d+: ", p.stderr):
            fail(f"{rel}: exit 3 without FILE:LINE:COL: {p.stderr.strip()[:300]}")
        elif docs is not None:
            fail(f"{rel}: scan refuses what python3-yaml reads: {p.stderr.strip()[:300]}")
        else:
            print(f"  refused, as python3-yaml does ({py_err}): {p.stderr.strip()[:200]}")
        continue
    if p.returncode != 0:
        fail(f"{rel}: exit {p.returncode} (0 with --exit-code 0, or 3 for bad input): {p.stderr.strip()[:300]}")
        continue
    if docs is None:
        fail(f"{rel}: scan reads what python3-yaml refuses ({py_err})")
        continue
    scanned_files += 1
    objs = []
    for d in docs:
        flatten(d, objs)
    res = json.loads(p.stdout)["objects"]
    kinds = [o.get("kind") if isinstance(o, dict) and isinstance(o.get("kind"), str) else "" for o in objs]
    if [r["kind"] for r in res] != kinds:
        fail(f"{rel}: scan saw kinds {[r['kind'] for r in res]}, python3-yaml {kinds}")
        continue
    for r, o, k in zip(res, objs, kinds):
        skipped = [f for f in r["findings"] if f["rule"] == "scan/kindNotSupported"]
        if k in WORKLOADS and skipped:
            fail(f"{rel}: {r['object']}: a workload reported as skipped")
        if k not in WORKLOADS and isinstance(o, dict) and (len(skipped) != 1 or not skipped[0]["message"].startswith(
                "skipped: kind not supported")):
            fail(f"{rel}: {r['object']}: kind {k!r} not reported as skipped with a reason: {r['findings']}")
        kinds_total[k] = kinds_total.get(k, 0) + 1
        if k in WORKLOADS:
            workloads.append((rel, r, o))
    total += len(objs)
    shutil.copy(path, os.path.join(work, "ok", rel.replace("/", "__")))
    with open(os.path.join(work, "json", rel.replace("/", "__") + ".json"), "w") as f:
        json.dump(objs, f, default=str)

# The independent predicates, both ways, over every workload object (baseline level).
n_flagged = {"hostNamespaces": 0, "privileged": 0, "hostPathVolumes": 0}
for rel, r, o in workloads:
    ps = pod_spec(o)
    want = {
        "hostNamespaces": any(ps.get(k) is True for k in ("hostNetwork", "hostPID", "hostIPC")),
        "privileged": any((c.get("securityContext") or {}).get("privileged") is True for c in containers(ps)),
        "hostPathVolumes": any(isinstance(v, dict) and "hostPath" in v for v in ps.get("volumes") or []),
    }
    got = {f["rule"] for f in r["findings"] if f["severity"] == "error"}
    for rule, w in want.items():
        n_flagged[rule] += w
        if w != (rule in got):
            fail(f"{rel}: {r['object']}: python3-yaml says {rule} {'violated' if w else 'holds'}, scan "
                 f"{'reports' if rule in got else 'does not report'} it")

with open(os.path.join(work, "expect.json"), "w") as f:
    json.dump({"objects": total, "workloads": len(workloads), "files": len(files), "scanned_files": scanned_files,
               "refused_files": refused, "kinds": kinds_total, "flagged": n_flagged}, f, indent=1)
print(f"{len(files)} files: {scanned_files} scanned, {refused} refused at file:line as python3-yaml refuses them; "
      f"{total} objects ({len(workloads)} workloads); python-side violations {n_flagged}")
if not fails:
    print("PASS: every file scanned or refused with a reason, per-object kinds and counts equal python3-yaml's, "
          "unsupported kinds reported as skipped, hostNamespaces/privileged/hostPathVolumes agree both ways")
sys.exit(1 if fails else 0)
