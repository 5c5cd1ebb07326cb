#!/bin/bash
# The agent's container image, built offline from scratch (`make image`): the confine binary
# (static: CONFINE_STATIC), curl with its libraries (the agent's node-label PATCH), and, for nodes with AppArmor, Debian's apparmor_parser with exactly the
# shared libraries ldd lists and /etc/apparmor.d (the abstractions and tunables profiles include).
# No base image, no registry: `podman import` of a root file system, then `podman save` to a
# docker-archive tarball users load (`podman load`, `docker load`, `ctr images import`) and push.
# usage: tools/k8s-image.sh CONFINE_BIN OUT.tar [IMAGE]   (IMAGE default confine-agent:0.1.0)
set -euo pipefail
BIN=$(readlink -f "${1:?confine binary}")
OUT=${2:?output tarball}
IMAGE=${3:-confine-agent:0.1.0}
command -v podman >/dev/null || { echo "k8s-image: podman is not installed (apt-get install podman)" >&2; exit 1; }
R=$(mktemp -d /var/tmp/confine-image.XXXXXX)
trap 'rm -rf "$R"' EXIT
mkdir -p "$R"/{etc,tmp,usr/sbin,proc,sys,dev,run,var/lib/kubelet}
chmod 1777 "$R/tmp"
# copy_elf FILE DEST: the file and every library ldd resolves for it (the dynamic loader too).
copy_elf() {
  install -D -m 0755 "$1" "$R$2"
  strip --strip-unneeded "$R$2" 2>/dev/null || true
  if ldd "$1" >/dev/null 2>&1; then
    ldd "$1" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' | while read -r lib; do
      [ -e "$R$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$R$lib"
    done
  fi
}
copy_elf "$BIN" /confine
if ldd "$BIN" >/dev/null 2>&1; then echo "k8s-image: note: $BIN is dynamic; its libraries are in the image"; fi
AA=""
for d in /usr/sbin /sbin; do [ -x $d/apparmor_parser ] && { AA=$d/apparmor_parser; break; }; done
if [ -n "$AA" ]; then
  copy_elf "$AA" /usr/sbin/apparmor_parser
  # What profiles include (abi, abstractions, tunables), not the build machine's own profiles.
  mkdir -p "$R/etc/apparmor.d"
  for d in abi abstractions tunables; do [ -d /etc/apparmor.d/$d ] && cp -a /etc/apparmor.d/$d "$R/etc/apparmor.d/"; done
  # An empty parser.conf: the build machine's pins policy features to a file of its own
  # (Debian: policy-features=/usr/share/apparmor-features/features); on a node the parser compiles
  # for the running kernel, and each profile's `abi` rule states what it was written for.
  mkdir -p "$R/etc/apparmor"
  printf '# confine agent image: no options (compile for the running kernel)\n' >"$R/etc/apparmor/parser.conf"
  echo "k8s-image: apparmor_parser $("$AA" --version | head -1 | awk '{print $NF}') and /etc/apparmor.d/{abi,abstractions,tunables} included"
else
  echo "k8s-image: note: no apparmor_parser on this machine (apt-get install apparmor): the image cannot load AppArmor profiles; nodes report them unsupported"
fi
# curl: the agent's one API call (its node's labels, docs/kubernetes.md "Node labels").
CURL=$(command -v curl) || { echo "k8s-image: curl is not installed (apt-get install curl)" >&2; exit 1; }
copy_elf "$CURL" /usr/bin/curl
printf 'root:x:0:0:root:/:/confine\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
# The agent's files are root's and read-only; the DaemonSet mounts what it writes.
tar -C "$R" --owner=0 --group=0 --numeric-owner -cf "$R.tar" .
trap 'rm -rf "$R" "$R.tar"' EXIT
podman import --change 'ENTRYPOINT ["/confine"]' --change 'CMD ["k8s", "--help"]' \
  --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' --change 'USER 0' \
  --change "LABEL org.opencontainers.image.title=confine-agent" \
  --change "LABEL org.opencontainers.image.version=$("$BIN" --version 2>/dev/null | awk '{print $NF}')" \
  "$R.tar" "$IMAGE" >/dev/null
rm -f "$OUT"
podman save --format docker-archive -o "$OUT" "$IMAGE"
echo "k8s-image: $IMAGE saved to $OUT ($(du -h "$OUT" | cut -f1)); load it with: podman load -i $OUT"
