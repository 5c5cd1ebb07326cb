#!/usr/bin/env python3
"""Writes tests/k8s/manifests/pss-cases.json: one Pod per Pod Security Standards case, each a
one-change mutation of a pod that passes `restricted` at every version, with the checks it must fail
per level and Kubernetes minor version in the annotation confine.test/expect
({"baseline": {"<minor>": "id,id"}, "restricted": {...}}). The expectations are written from Pod
Security Admission's check_*.go (k8s.io/pod-security-admission/policy), not from confine's code.
usage: python3 gen_pss_cases.py > manifests/pss-cases.json"""
import copy
import json

MINORS = [0, 8, 18, 19, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35]
BASELINE = {"hostNamespaces", "privileged", "capabilities_baseline", "hostPathVolumes", "hostPorts",
            "appArmorProfile", "seLinuxOptions", "procMount", "seccompProfile_baseline", "sysctls",
            "windowsHostProcess", "hostProbesAndHostLifecycle"}
SINCE = {"procMount_restricted": 35, "hostProbesAndHostLifecycle": 34, "allowPrivilegeEscalation": 8, "runAsUser": 23,
         "seccompProfile_restricted": 19, "capabilities_restricted": 22}


def ctr(name):
    return {"name": name, "image": "registry.example/" + name,
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}


BASE = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "base", "namespace": "pss"},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [ctr("init")],
        "containers": [ctr("app")],
        "ephemeralContainers": [ctr("debug")],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    },
}

CASES = []


def case(name, mutate, fails):
    """fails(level, minor) -> set of check ids."""
    CASES.append((name, mutate, fails))


def always(*ids):
    return lambda level, m: set(ids)


def since(minor, *ids):
    return lambda level, m: set(ids) if m >= minor else set()


def before(minor, *ids):
    return lambda level, m: set(ids) if m < minor else set()


sc = lambda p, c: p["spec"][c][0]["securityContext"]  # noqa: E731
psc = lambda p: p["spec"]["securityContext"]  # noqa: E731

case("pass-base", lambda p: None, always())
for k in ("hostNetwork", "hostPID", "hostIPC"):
    case("fail-" + k.lower(), lambda p, k=k: p["spec"].__setitem__(k, True), always("hostNamespaces"))
case("pass-hostnetwork-false", lambda p: p["spec"].__setitem__("hostNetwork", False), always())
case("fail-privileged-ephemeral", lambda p: sc(p, "ephemeralContainers").__setitem__("privileged", True),
     always("privileged"))
case("pass-privileged-false", lambda p: sc(p, "containers").__setitem__("privileged", False), always())
case("fail-cap-sysadmin-init", lambda p: sc(p, "initContainers")["capabilities"].__setitem__("add", ["SYS_ADMIN"]),
     lambda l, m: {"capabilities_baseline"} | ({"capabilities_restricted"} if m >= 22 else set()))
case("fail-cap-chown-restricted-only", lambda p: sc(p, "containers")["capabilities"].__setitem__("add", ["CHOWN"]),
     since(22, "capabilities_restricted"))
case("pass-cap-net-bind", lambda p: sc(p, "containers")["capabilities"].__setitem__("add", ["NET_BIND_SERVICE"]),
     always())
case("fail-cap-drop-missing-ephemeral", lambda p: sc(p, "ephemeralContainers").__setitem__("capabilities", {}),
     since(22, "capabilities_restricted"))
case("fail-hostpath", lambda p: p["spec"]["volumes"].append({"name": "h", "hostPath": {"path": "/etc"}}),
     lambda l, m: {"hostPathVolumes"} if l == "baseline" else {"restrictedVolumes"})
case("fail-nfs-restricted-only", lambda p: p["spec"]["volumes"].append({"name": "n", "nfs": {"server": "s", "path": "/"}}),
     lambda l, m: {"restrictedVolumes"})
case("pass-volumes-allowed", lambda p: p["spec"]["volumes"].extend([
    {"name": "c", "configMap": {"name": "c"}}, {"name": "s", "secret": {"secretName": "s"}},
    {"name": "p", "persistentVolumeClaim": {"claimName": "p"}}, {"name": "d", "downwardAPI": {"items": []}},
    {"name": "pr", "projected": {"sources": []}}, {"name": "cs", "csi": {"driver": "x"}},
    {"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}}]), always())
case("fail-hostport-init", lambda p: p["spec"]["initContainers"][0].__setitem__("ports", [{"containerPort": 80, "hostPort": 80}]),
     always("hostPorts"))
case("pass-hostport-0", lambda p: p["spec"]["containers"][0].__setitem__("ports", [{"containerPort": 80, "hostPort": 0}]),
     always())
case("fail-apparmor-field-pod", lambda p: psc(p).__setitem__("appArmorProfile", {"type": "Unconfined"}),
     always("appArmorProfile"))
case("fail-apparmor-field-ephemeral", lambda p: sc(p, "ephemeralContainers").__setitem__("appArmorProfile", {"type": "Unconfined"}),
     always("appArmorProfile"))
case("pass-apparmor-field-localhost", lambda p: sc(p, "containers").__setitem__("appArmorProfile", {"type": "Localhost", "localhostProfile": "x"}),
     always())
case("fail-apparmor-annotation", lambda p: p["metadata"].__setitem__("annotations", {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}),
     always("appArmorProfile"))
case("pass-apparmor-annotation-localhost", lambda p: p["metadata"].__setitem__("annotations", {"container.apparmor.security.beta.kubernetes.io/app": "localhost/x"}),
     always())
case("fail-selinux-engine-before-131", lambda p: psc(p).__setitem__("seLinuxOptions", {"type": "container_engine_t"}),
     before(31, "seLinuxOptions"))
case("fail-selinux-user-init", lambda p: sc(p, "initContainers").__setitem__("seLinuxOptions", {"user": "system_u"}),
     always("seLinuxOptions"))
case("pass-selinux-container-t", lambda p: sc(p, "containers").__setitem__("seLinuxOptions", {"type": "container_t", "level": "s0:c1"}),
     always())
case("fail-procmount", lambda p: sc(p, "containers").__setitem__("procMount", "Unmasked"),
     lambda l, m: {"procMount_restricted"} if l == "restricted" and m >= 35 else {"procMount"})
# User namespaces (hostUsers: false): from policy 1.35 baseline procMount, runAsNonRoot and runAsUser are
# relaxed; restricted keeps procMount through procMount_restricted.
case("userns-procmount-from-135",
     lambda p: (p["spec"].__setitem__("hostUsers", False), sc(p, "containers").__setitem__("procMount", "Unmasked")),
     lambda l, m: ({"procMount_restricted"} if l == "restricted" else set()) if m >= 35 else {"procMount"})
case("userns-runasuser-0-from-135",
     lambda p: (p["spec"].__setitem__("hostUsers", False), psc(p).__setitem__("runAsUser", 0)),
     lambda l, m: {"runAsUser"} if 23 <= m < 35 else set())
case("userns-runasnonroot-unset-from-135",
     lambda p: (p["spec"].__setitem__("hostUsers", False), psc(p).pop("runAsNonRoot")),
     lambda l, m: {"runAsNonRoot"} if m < 35 else set())
case("pass-image-volume", lambda p: p["spec"]["volumes"].append({"name": "i", "image": {"reference": "registry.example/data:1"}}),
     always())
case("pass-procmount-default", lambda p: sc(p, "containers").__setitem__("procMount", "Default"), always())
case("fail-seccomp-field-unconfined", lambda p: psc(p).__setitem__("seccompProfile", {"type": "Unconfined"}),
     lambda l, m: set() if m < 19 else {"seccompProfile_baseline"} | ({"seccompProfile_restricted"} if l == "restricted" else set()))
case("fail-seccomp-field-container", lambda p: sc(p, "initContainers").__setitem__("seccompProfile", {"type": "Unconfined"}),
     lambda l, m: set() if m < 19 else {"seccompProfile_baseline"} | ({"seccompProfile_restricted"} if l == "restricted" else set()))
case("fail-seccomp-annotation-before-119", lambda p: p["metadata"].__setitem__("annotations", {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}),
     before(19, "seccompProfile_baseline"))
case("fail-seccomp-container-annotation-before-119", lambda p: p["metadata"].__setitem__("annotations", {"container.seccomp.security.alpha.kubernetes.io/app": "unconfined"}),
     before(19, "seccompProfile_baseline"))
case("fail-seccomp-missing-one-container",
     lambda p: (psc(p).pop("seccompProfile"), sc(p, "initContainers").__setitem__("seccompProfile", {"type": "RuntimeDefault"}),
                sc(p, "ephemeralContainers").__setitem__("seccompProfile", {"type": "Localhost", "localhostProfile": "x.json"})),
     lambda l, m: {"seccompProfile_restricted"} if l == "restricted" and m >= 19 else set())
case("pass-seccomp-every-container",
     lambda p: (psc(p).pop("seccompProfile"), *[sc(p, c).__setitem__("seccompProfile", {"type": "RuntimeDefault"})
                                                for c in ("initContainers", "containers", "ephemeralContainers")]),
     always())
for name, minor in (("net.ipv4.ip_local_reserved_ports", 27), ("net.ipv4.tcp_keepalive_time", 29),
                    ("net.ipv4.tcp_rmem", 32), ("kernel.msgmax", 1000)):
    case("fail-sysctl-" + name.split(".")[-1].replace("_", "-"),
         lambda p, name=name: psc(p).__setitem__("sysctls", [{"name": "kernel.shm_rmid_forced", "value": "1"},
                                                             {"name": name, "value": "1"}]),
         before(minor, "sysctls"))
case("fail-windows-hostprocess", lambda p: sc(p, "containers").__setitem__("windowsOptions", {"hostProcess": True}),
     always("windowsHostProcess"))
case("fail-probe-host-from-134", lambda p: p["spec"]["containers"][0].__setitem__("readinessProbe", {"tcpSocket": {"host": "10.0.0.1", "port": 80}}),
     since(34, "hostProbesAndHostLifecycle"))
case("fail-lifecycle-host-init-from-134", lambda p: p["spec"]["initContainers"][0].__setitem__("lifecycle", {"preStop": {"httpGet": {"host": "example.com", "port": 80}}}),
     since(34, "hostProbesAndHostLifecycle"))
case("pass-probe-no-host", lambda p: p["spec"]["containers"][0].__setitem__("livenessProbe", {"httpGet": {"path": "/", "port": 80}}),
     always())
case("fail-ape-unset-init", lambda p: sc(p, "initContainers").pop("allowPrivilegeEscalation"),
     since(8, "allowPrivilegeEscalation"))
case("fail-ape-true", lambda p: sc(p, "containers").__setitem__("allowPrivilegeEscalation", True),
     since(8, "allowPrivilegeEscalation"))
case("fail-runasnonroot-unset", lambda p: psc(p).pop("runAsNonRoot"), always("runAsNonRoot"))
case("fail-runasnonroot-container-false", lambda p: sc(p, "ephemeralContainers").__setitem__("runAsNonRoot", False),
     always("runAsNonRoot"))
case("fail-runasnonroot-pod-false",
     lambda p: (psc(p).__setitem__("runAsNonRoot", False),
                *[sc(p, c).__setitem__("runAsNonRoot", True) for c in ("initContainers", "containers", "ephemeralContainers")]),
     always("runAsNonRoot"))
case("pass-runasnonroot-every-container",
     lambda p: (psc(p).pop("runAsNonRoot"),
                *[sc(p, c).__setitem__("runAsNonRoot", True) for c in ("initContainers", "containers", "ephemeralContainers")]),
     always())
case("fail-runasuser-0-container", lambda p: sc(p, "containers").__setitem__("runAsUser", 0), since(23, "runAsUser"))
case("fail-runasuser-0-pod", lambda p: psc(p).__setitem__("runAsUser", 0), since(23, "runAsUser"))
case("windows-exempt-from-125",
     lambda p: (p["spec"].__setitem__("os", {"name": "windows"}), psc(p).pop("seccompProfile"),
                [sc(p, c).pop("allowPrivilegeEscalation") for c in ("initContainers", "containers", "ephemeralContainers")],
                [sc(p, c).pop("capabilities") for c in ("initContainers", "containers", "ephemeralContainers")]),
     lambda l, m: set() if m >= 25 else {x for x, s in (("allowPrivilegeEscalation", 8), ("seccompProfile_restricted", 19),
                                                         ("capabilities_restricted", 22)) if m >= s})


def main():
    items = []
    for name, mutate, fails in CASES:
        p = copy.deepcopy(BASE)
        p["metadata"]["name"] = name
        mutate(p)
        expect = {}
        for level in ("baseline", "restricted"):
            expect[level] = {}
            for m in MINORS:
                ids = {i for i in fails(level, m) if m >= SINCE.get(i, 0)}
                if level == "baseline":
                    ids &= BASELINE
                expect[level][str(m)] = ",".join(sorted(ids))
        p["metadata"].setdefault("annotations", {})["confine.test/expect"] = json.dumps(expect, sort_keys=True)
        items.append(p)
    print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=1))


main()
