#!/usr/bin/env python3
"""Test helper (tests/integration/k8s_webhook.sh, bench/webhook_latency.sh).

  k8s_review.py review UID OPERATION OBJECT.json [SUBRESOURCE [OLD.json]]  > review.json
      an AdmissionReview (admission.k8s.io/v1) as the API server sends it; request.kind and
      request.resource from the object's apiVersion and kind.
  k8s_review.py check RESPONSE.json UID ALLOWED [CODE] [TEXT...]
      asserts the AdmissionReview response: same uid, allowed true|false, status.code, and each TEXT
      in status.message (or in the warnings when TEXT starts with "warning:"); exit 1 with the reason.
  k8s_review.py slow HOST PORT CAFILE OUT
      slow clients: one TLS connection that sends half a request head and stops, one TCP connection
      that never starts the TLS handshake; writes "ready" to OUT, then what the server did to each
      (the status line or EOF, and after how many seconds).
"""
import json
import socket
import ssl
import sys
import time

RES = {"Pod": "pods", "Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets",
       "ReplicaSet": "replicasets", "Job": "jobs", "CronJob": "cronjobs", "ConfigMap": "configmaps",
       "EphemeralContainers": "pods"}


def review(uid, op, obj_file, sub="", old_file=None):
    obj = json.load(open(obj_file))
    api = obj.get("apiVersion", "v1")
    group, version = api.split("/") if "/" in api else ("", api)
    kind = obj.get("kind", "Pod")
    meta = obj.get("metadata", {})
    req = {"uid": uid,
           "kind": {"group": group, "version": version, "kind": kind},
           "resource": {"group": group, "version": version, "resource": RES.get(kind, kind.lower() + "s")},
           "requestKind": {"group": group, "version": version, "kind": kind},
           "name": meta.get("name", ""), "namespace": meta.get("namespace", "default"),
           "operation": op,
           "userInfo": {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]},
           "object": None if op == "DELETE" else obj,
           "oldObject": obj if op == "DELETE" else (json.load(open(old_file)) if old_file else None),
           "dryRun": False,
           "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}}
    if sub:
        req["subResource"] = sub
    print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}))


def check(resp_file, uid, allowed, code=None, *texts):
    r = json.load(open(resp_file))
    if r.get("apiVersion") != "admission.k8s.io/v1" or r.get("kind") != "AdmissionReview":
        sys.exit("not an AdmissionReview v1: %s" % json.dumps(r)[:300])
    resp = r.get("response", {})
    if resp.get("uid") != uid:
        sys.exit("uid %r, expected %r" % (resp.get("uid"), uid))
    if resp.get("allowed") is not (allowed == "true"):
        sys.exit("allowed=%r, expected %s: %s" % (resp.get("allowed"), allowed, json.dumps(resp)[:600]))
    st = resp.get("status", {})
    if code and str(st.get("code")) != code:
        sys.exit("status.code %r, expected %s" % (st.get("code"), code))
    msg = st.get("message", "")
    warns = "\n".join(resp.get("warnings", []))
    for t in texts:
        if t.startswith("warning:"):
            if t[8:] not in warns:
                sys.exit("warnings lack %r: %r" % (t[8:], warns[:600]))
        elif t not in msg:
            sys.exit("status.message lacks %r: %r" % (t, msg[:600]))


def slow(host, port, cafile, out):
    ctx = ssl.create_default_context(cafile=cafile)
    t = ctx.wrap_socket(socket.create_connection((host, int(port))), server_hostname=host)
    t.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
    raw = socket.create_connection((host, int(port)))
    with open(out, "w") as f:
        f.write("ready\n")
    start = time.monotonic()
    res = []
    for name, s in (("tls-half-head", t), ("tcp-no-handshake", raw)):
        s.settimeout(120)
        try:
            data = s.recv(4096)
            what = data.split(b"\r\n")[0].decode("latin-1") if data else "EOF"
        except (ssl.SSLError, OSError) as e:
            what = "closed (%s)" % e.__class__.__name__
        res.append("%s: %s after %.0f s" % (name, what, time.monotonic() - start))
    with open(out, "a") as f:
        f.write("\n".join(res) + "\ndone\n")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"review": review, "check": check, "slow": slow}[cmd](*args)
