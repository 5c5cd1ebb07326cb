# confine — top-level entry points. Every target installs what it needs from
# Debian's packages first (non-interactive, only what is missing).
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
BENCH_BUILD ?= build-bench
FUZZ_SECONDS ?= 10

# Build and test dependencies (Debian 12 package names).
DEPS_BUILD := build-essential cmake ninja-build pkg-config libseccomp-dev libgtest-dev libgmock-dev libyaml-dev \
              libssl-dev libbpf-dev bpftool clang-14 llvm-14
# The corpus of real programs (tests/corpus/*/meta packages=; tests/integration/corpus.sh, make quality).
# Services among them (redis-server, nginx-light, memcached) are installed without being started: the
# tests start their own instances on free ports (install_missing adds a policy-rc.d that says no).
DEPS_CORPUS := sqlite3 git cpp libc6-dev jq make tar gzip findutils coreutils sed diffutils redis-server redis-tools \
               nginx-light memcached xz-utils zstd grep mawk
DEPS_TEST := clang-14 libfuzzer-14-dev libclang-rt-14-dev strace bubblewrap python3 curl \
             golang-go golang-github-docker-docker-dev golang-github-containers-common apparmor gcc-multilib \
             libcap2-bin podman runc containerd busybox-static apparmor-profiles apparmor-profiles-extra qemu-system-x86 cpio \
             perl file bc rsync unzip python3-yaml openssl gnupg python3-jsonschema \
             gettext tcl libxml2-utils groff-base ed \
             $(DEPS_CORPUS)
# Test-only, installed only when the command is missing (a machine may have another kubectl or Node.js):
# `kubectl kustomize` (Debian's kubernetes-client, kubectl 1.20) renders a bundle offline; node + npm run
# the test helpers below. From npm into NPM_TEST_DIR (test-only): kubernetes-models validates every object
# confine writes against the Kubernetes OpenAPI schema (k8s_bundle, k8s_patch, k8s_scan); @bufbuild/cel
# evaluates the CEL of `confine k8s policy` against the scan's verdicts; @microsoft/jest-sarif ships the
# SARIF 2.1.0 JSON schema the SARIF output is validated against (with python3-jsonschema).
DEPS_TEST_CMDS := kubectl:kubernetes-client node:nodejs npm:npm
NPM_TEST_DIR ?= /var/cache/confine-test/npm
NPM_TEST_PKGS := @bufbuild/cel@0.6 @microsoft/jest-sarif@1.0.0-beta.0 kubernetes-models@5 @socialgouv/parse-manifests@1.16.4
# Real third-party Kubernetes manifests (tests/k8s/corpus/SOURCE.md) for tests/integration/k8s_scan_corpus.sh
# and bench/scan_throughput.sh: Debian packages fetched with `apt-get download` and unpacked (dpkg-deb -x)
# into DEB_CORPUS_DIR/PACKAGE, never installed; @socialgouv/parse-manifests (npm, above) ships more.
DEB_CORPUS_DIR ?= /var/cache/confine-test/deb-corpus
DEB_CORPUS_PKGS := python3-magnum golang-k8s-sigs-structured-merge-diff-dev ceph-mgr-k8sevents
# `make image`: the agent's container image (tools/k8s-image.sh).
DEPS_IMAGE := podman apparmor binutils curl
# bench/scan_throughput.sh: python3-yaml varies the corpus; its peer (@bufbuild/cel) is the npm package
# `make deps-test` installs (without it the peer's row says so).
# bench/webhook_latency.sh: curl --parallel as the client, openssl makes its certificates.
DEPS_BENCH := libbenchmark-dev hyperfine firejail python3-yaml curl openssl python3
# What `make demo` runs beyond the build: the sample workload (examples/sample-workload.sh) uses
# python3 and bc; everything else it runs (sh, date, tail, cut, paste, awk, wc, ln, mkdir) is in
# Debian's minbase (Essential: yes).
DEPS_DEMO := python3 bc
RESULTS ?= $(BUILD)/test-results

.PHONY: all build image demo test unit integration fuzz bench quality deps-build deps-corpus deps-test deps-bench deps-demo deps-packages deps-k8s-corpus format clean

all: build

define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "need root to install:$$missing" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  rcd=; if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\n# make: no service starts while packages install\nexit 101\n' >/usr/sbin/policy-rc.d && \
	    chmod 755 /usr/sbin/policy-rc.d && rcd=1; \
	  fi; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; rc=$$?; \
	  [ -z "$$rcd" ] || rm -f /usr/sbin/policy-rc.d; \
	  exit $$rc; \
	fi
endef

deps-build:
	$(call install_missing,$(DEPS_BUILD))
deps-test: deps-build
	$(call install_missing,$(DEPS_TEST))
	@$(MAKE) --no-print-directory deps-k8s-corpus
	@missing=""; for cp in $(DEPS_TEST_CMDS); do command -v $${cp%%:*} >/dev/null || missing="$$missing $${cp#*:}"; done; \
	[ -z "$$missing" ] || $(MAKE) --no-print-directory deps-packages PACKAGES="$$missing"
	@# npm trusts only its bundled CAs; a TLS-intercepting proxy's CA is in the system store.
	@[ -n "$$NODE_EXTRA_CA_CERTS" ] || [ ! -f /etc/ssl/certs/ca-certificates.crt ] || \
	  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt; \
	mkdir -p $(NPM_TEST_DIR); rm -f $(NPM_TEST_DIR)/install-error; \
	for p in $(NPM_TEST_PKGS); do n=$${p%@*}; [ -d $(NPM_TEST_DIR)/node_modules/$$n ] || { \
	  echo "npm: $$p into $(NPM_TEST_DIR) (test-only)"; \
	  npm install --no-audit --no-fund --prefix $(NPM_TEST_DIR) $$p >$(NPM_TEST_DIR)/install.log 2>&1 || { \
	    grep -m3 "npm ERR!" $(NPM_TEST_DIR)/install.log >$(NPM_TEST_DIR)/install-error; \
	    echo "npm install $$p failed (tests/integration/lib/npm.sh reads why): $$(head -2 $(NPM_TEST_DIR)/install-error)" >&2; \
	    break; }; }; done
# apt-get download runs unsandboxed as root here (the warning is expected); a failure (no route to Debian)
# is recorded in DEB_CORPUS_DIR/download-error, which the corpus test reads (like npm.sh's install-error).
deps-k8s-corpus:
	@mkdir -p $(DEB_CORPUS_DIR); rm -f $(DEB_CORPUS_DIR)/download-error; \
	for p in $(DEB_CORPUS_PKGS); do [ -f $(DEB_CORPUS_DIR)/$$p/VERSION ] && continue; \
	  echo "apt-get download $$p into $(DEB_CORPUS_DIR) (test corpus, unpacked, not installed)"; \
	  d=$$(mktemp -d); chmod 755 $$d; \
	  if ! (cd $$d && { apt-get download -qq $$p >/dev/null 2>$$d/err || { apt-get update -qq 2>$$d/err && apt-get download -qq $$p >/dev/null 2>$$d/err; }; }); then \
	    cp $$d/err $(DEB_CORPUS_DIR)/download-error; echo "apt-get download $$p failed: $$(grep -m2 -v '^W:' $$d/err)" >&2; rm -rf $$d; break; fi; \
	  rm -rf $(DEB_CORPUS_DIR)/$$p && dpkg-deb -x $$d/$${p}_*.deb $(DEB_CORPUS_DIR)/$$p && \
	  dpkg-deb -f $$d/$${p}_*.deb Version >$(DEB_CORPUS_DIR)/$$p/VERSION; rm -rf $$d; done
deps-corpus:
	$(call install_missing,$(DEPS_CORPUS) python3 curl)
deps-bench: deps-build
	$(call install_missing,$(DEPS_BENCH))
	@$(MAKE) --no-print-directory deps-k8s-corpus
deps-demo: deps-build
	$(call install_missing,$(DEPS_DEMO))
deps-packages:
	$(call install_missing,$(PACKAGES))
deps-image: deps-build
	$(call install_missing,$(DEPS_IMAGE))

build: deps-build
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The agent's container image from scratch (the static confine binary, apparmor_parser and the
# libraries it needs), saved as a docker-archive tarball: podman load -i $(BUILD)/confine-agent.tar
IMAGE ?= confine-agent:0.1.0
image: deps-image
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target confine
	bash tools/k8s-image.sh $(BUILD)/confine $(BUILD)/confine-agent.tar $(IMAGE)

# Unit tests under ASan+UBSan; integration tests (real kernel, real peers) on the release build;
# fuzz targets for a short run over their seed corpora. Every suite runs even when another fails;
# each leaves pass/fail/skip lines in $(RESULTS) (tools/test-results), and the run ends with the
# skips and their reasons, the failures, and one line `N passed, N failed, N skipped`.
test: deps-test build
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@export CONFINE_TEST_RESULTS_DIR=$(abspath $(RESULTS)); \
	if cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCONFINE_SANITIZE=ON >/dev/null && \
	   cmake --build $(ASAN_BUILD) -j $(JOBS); then \
	  (cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -E '^integration_'); \
	else tools/test-results add fail build/asan "the ASan+UBSan build failed: no unit test ran"; fi; \
	(cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -R '^integration_'); \
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) || [ -s $(RESULTS)/fuzz.tsv ] || \
	  tools/test-results add fail fuzz "the fuzz build failed: no target ran"; \
	echo; echo "== make test: every suite"; tools/test-results summary $(RESULTS)

fuzz: deps-test
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONFINE_FUZZ=ON \
	  -DCONFINE_TESTS=OFF -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@bad=0; for f in $(FUZZ_BUILD)/*_fuzz; do \
	  [ -x "$$f" ] || continue; n=$$(basename $$f); \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  if $$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
	    $(FUZZ_BUILD)/corpus/$$n fuzz/corpus/$$n >$(FUZZ_BUILD)/$$n.log 2>&1; then \
	    tools/test-results add pass fuzz/$$n; \
	  else tail -40 $(FUZZ_BUILD)/$$n.log; bad=$$((bad + 1)); \
	    tools/test-results add fail fuzz/$$n "finding or crash: see $(FUZZ_BUILD)/$$n.log"; fi; \
	done; [ $$bad = 0 ] && echo "fuzz: all targets clean" || { echo "fuzz: $$bad target(s) failed"; exit 1; }

bench: deps-bench
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONFINE_BENCH=ON -DCONFINE_TESTS=OFF >/dev/null
	cmake --build $(BENCH_BUILD) -j $(JOBS)
	bash bench/run.sh $(BENCH_BUILD)

# docs/profile-quality.md: the corpus (tests/corpus/) recorded, checked and near-missed with the default generator.
quality: deps-build deps-corpus
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target confine
	bash tests/corpus/run.sh --confine $(BUILD)/confine --report docs/profile-quality.md || true

# The demo needs the confine binary only: the tests are not built for it.
demo: deps-demo
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target confine
	bash tools/demo.sh $(BUILD)/confine

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(BENCH_BUILD)
