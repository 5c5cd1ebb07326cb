#!/usr/bin/env python3
"""Test helper for tests/integration/k8s_agent.sh: writes a bundle as docs/kubernetes.md
("Bundle format") defines it, and lays a ConfigMap volume out the way the kubelet does.

  k8s_bundle.py build OUT [--parts N] [--extra-entry JSON]... NAME=SRC[:complain]...
      SRC: a `confine record -o` directory (seccomp.json, apparmor.profile, behavior.json)
      or a single seccomp file. Writes OUT/part-1 .. OUT/part-N: the data of each ConfigMap.
  k8s_bundle.py from-render RENDERED.yaml OUT
      Reads `kubectl kustomize` output: OUT/objects.json (every object, for schema checks),
      OUT/part-N/ (the data and binaryData of ConfigMap confine-bundle-N, one file per key) and prints
      "part-N BYTES" per ConfigMap, BYTES its size as compact JSON (kubectl apply's annotation).
  k8s_bundle.py kubelet-write MOUNT DATADIR [--stop-after STEP]
      What pkg/volume/util/atomic_writer.go does: a new timestamped directory ..YYYY_MM_DD_..
      holding the payload, a symlink ..data_tmp to it renamed over ..data, the visible names
      as symlinks KEY -> ..data/KEY, old visible names and the old directory removed.
The bundle writer proper is `confine k8s bundle`; this helper is the format's second,
independent implementation (k8s_bundle.sh checks that both give the same hashes).
"""
import base64, hashlib, json, os, re, shutil, sys, time


def sha(b):
    return hashlib.sha256(b).hexdigest()


def profile_hash(mode, seccomp, apparmor, behavior):
    d = "confine-k8s-profile/1\nmode %s\nseccomp %s\n" % (mode, sha(seccomp))
    if apparmor is not None:
        d += "apparmor %s\n" % sha(apparmor)
    if behavior is not None:
        d += "behavior %s\n" % sha(behavior)
    return sha(d.encode())[:12]


def build(out, parts, extras, specs):
    entries, files = [], []
    for spec in specs:
        name, src = spec.split("=", 1)
        mode = "enforce"
        if src.endswith(":complain"):
            src, mode = src[: -len(":complain")], "complain"
        aa = beh = None
        if os.path.isdir(src):
            sc = open(os.path.join(src, "seccomp.json"), "rb").read()
            if os.path.exists(os.path.join(src, "apparmor.profile")):
                aa = open(os.path.join(src, "apparmor.profile"), "rb").read()
            beh = open(os.path.join(src, "behavior.json"), "rb").read()
        else:
            sc = open(src, "rb").read()
        if mode == "complain":
            doc = json.loads(sc)
            doc["defaultAction"] = "SCMP_ACT_LOG"
            doc.pop("defaultErrnoRet", None)
            sc = (json.dumps(doc, indent=2) + "\n").encode()
        if aa is not None:
            # The profile's name becomes confine-NAME-000000000000 (the hash slot), then H; its
            # attachment (a path) is dropped: loaded on every node, it would confine host processes.
            text = aa.decode()
            text = re.sub(r"(?m)^(\s*profile\s+)(\S+)(\s+/\S+)?", lambda m: m.group(1) + "confine-%s-000000000000" % name, text, count=1)
            if mode == "complain" and "complain" not in text.split("{", 1)[0]:
                text = re.sub(r"(?m)^(\s*profile\s+\S+(?:\s+\S+)?)\s*(flags=\([^)]*\))?\s*\{",
                              lambda m: m.group(1) + " flags=(complain) {", text, count=1)
            aa = text.encode()
        h = profile_hash(mode, sc, aa, beh)
        if aa is not None:
            aa = aa.replace(b"000000000000", h.encode())
        base = "%s-%s" % (name, h)
        e = {"name": name, "hash": h, "mode": mode,
             "seccomp": {"file": base + ".json", "sha256": sha(sc)}}
        fs = [(base + ".json", sc)]
        if aa is not None:
            e["apparmor"] = {"file": base + ".apparmor", "sha256": sha(aa), "profile": "confine-" + base}
            fs.append((base + ".apparmor", aa))
        if beh is not None:
            e["behavior"] = {"file": base + ".behavior.json", "sha256": sha(beh)}
            fs.append((base + ".behavior.json", beh))
        entries.append(e)
        files.append(fs)
    for x in extras:
        entries.append(json.loads(x))
        files.append([])
    lines = sorted('%s %s %s\n' % (json.dumps(e.get("name")), json.dumps(e.get("hash")), json.dumps(e.get("mode")))
                   for e in entries)
    bh = sha("".join(lines).encode())[:12]
    for p in range(parts):
        d = os.path.join(out, "part-%d" % (p + 1))
        os.makedirs(d, exist_ok=True)
        mine = [i for i in range(len(entries)) if i % parts == p]
        man = {"format": "confine-k8s-bundle/1", "bundle": bh, "part": p + 1, "parts": parts,
               "profiles": [entries[i] for i in mine]}
        open(os.path.join(d, "bundle.json"), "w").write(json.dumps(man, indent=2) + "\n")
        for i in mine:
            for fn, b in files[i]:
                open(os.path.join(d, fn), "wb").write(b)
    print(bh)


def from_render(rendered, out):
    import yaml  # python3-yaml
    objs = [o for o in yaml.safe_load_all(open(rendered, encoding="utf-8")) if o]
    os.makedirs(out, exist_ok=True)
    json.dump(objs, open(os.path.join(out, "objects.json"), "w"))
    for o in objs:
        name = o["metadata"]["name"]
        if o["kind"] != "ConfigMap" or not re.fullmatch(r"confine-bundle-\d+", name):
            continue
        d = os.path.join(out, "part-" + name.rsplit("-", 1)[1])
        os.makedirs(d, exist_ok=True)
        for k, v in o.get("data", {}).items():
            open(os.path.join(d, k), "wb").write(v.encode("utf-8"))
        for k, v in o.get("binaryData", {}).items():
            open(os.path.join(d, k), "wb").write(base64.b64decode(v, validate=True))
        # As Go's encoding/json writes it (kubectl): UTF-8, and < > & as \\u003c (6 bytes).
        j = json.dumps(o, separators=(",", ":"), ensure_ascii=False)
        print("%s %d" % (os.path.basename(d), len(j.encode()) + 5 * sum(j.count(c) for c in "<>&")))


def kubelet_write(mount, data, stop_after):
    os.makedirs(mount, exist_ok=True)
    step = 0

    def done():
        nonlocal step
        step += 1
        if stop_after and step >= stop_after:
            sys.exit(0)

    old = os.readlink(os.path.join(mount, "..data")) if os.path.islink(os.path.join(mount, "..data")) else None
    old_keys = set(os.listdir(os.path.join(mount, old))) if old else set()
    ts = time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime()) + "%09d" % (time.time_ns() % 10**9)
    tsdir = os.path.join(mount, ts)
    os.mkdir(tsdir, 0o755)
    keys = sorted(os.listdir(data))
    for k in keys:
        s = os.path.join(data, k)
        if os.path.islink(s):
            os.symlink(os.readlink(s), os.path.join(tsdir, k))
        else:
            shutil.copyfile(s, os.path.join(tsdir, k))
            os.chmod(os.path.join(tsdir, k), 0o644)
    done()
    tmp = os.path.join(mount, "..data_tmp")
    os.symlink(ts, tmp)
    done()
    os.rename(tmp, os.path.join(mount, "..data"))
    done()
    for k in keys:
        v = os.path.join(mount, k)
        if not os.path.islink(v):
            os.symlink(os.path.join("..data", k), v)
    for k in old_keys - set(keys):
        try:
            os.unlink(os.path.join(mount, k))
        except FileNotFoundError:
            pass
    done()
    if old:
        shutil.rmtree(os.path.join(mount, old))


def main():
    a = sys.argv[1:]
    if a[0] == "build":
        out, rest, parts, extras = a[1], a[2:], 1, []
        specs = []
        i = 0
        while i < len(rest):
            if rest[i] == "--parts":
                parts = int(rest[i + 1]); i += 2
            elif rest[i] == "--extra-entry":
                extras.append(rest[i + 1]); i += 2
            else:
                specs.append(rest[i]); i += 1
        build(out, parts, extras, specs)
    elif a[0] == "from-render":
        from_render(a[1], a[2])
    elif a[0] == "kubelet-write":
        stop = int(a[4]) if len(a) > 4 and a[3] == "--stop-after" else 0
        kubelet_write(a[1], a[2], stop)
    else:
        sys.exit("usage: k8s_bundle.py build|kubelet-write ...")


main()
