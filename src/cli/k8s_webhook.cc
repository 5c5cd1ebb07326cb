// `confine k8s webhook` (docs/kubernetes.md "Admission webhook").
#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/verbs.h"
#include "core/file.h"
#include "k8s/policy.h"
#include "k8s/rules.h"
#include "k8s/webhook.h"

namespace confine::cli {

namespace {
constexpr int kExitSetup = 125;

constexpr OptSpec kWebhookOpts[] = {
    {"listen", 0, true, "ADDR", "HOST:PORT, [IPV6]:PORT or :PORT (every address); port 0 picks a free one"},
    {"tls-cert", 0, true, "FILE", "the serving certificate chain (PEM)"},
    {"tls-key", 0, true, "FILE", "its private key (PEM)"},
    {"bundle", 0, true, "DIR",
     "the bundle the nodes hold (the output directory of confine k8s bundle, or its ConfigMaps as mounted): "
     "Localhost profiles must be in it "
     "with their content hash"},
    {"level", 0, true, "LEVEL", "Pod Security Standards level: baseline or restricted (default restricted)"},
    {"k8s-version", 0, true, "V", "the Kubernetes version whose policy applies (default latest = v1.35)"},
    {"max-body-bytes", 0, true, "N", "largest request body accepted (default 4194304; more: 413)"},
    {"max-connections", 0, true, "N", "connections served at once (default 64; more are closed at once)"},
    {"read-timeout", 0, true, "SECONDS",
     "deadline for the TLS handshake and a whole request, and for an idle keep-alive connection (default "
     "10)"},
    {"reload-interval", 0, true, "SECONDS",
     "re-read the bundle this often (default 60; 0 = only on SIGHUP, which also reloads the certificate)"},
    {"emit-manifest", 0, false, "",
     "write the ValidatingWebhookConfiguration, Deployment, Service and ServiceAccount instead of serving"},
    {"namespace", 0, true, "NS",
     "manifest: the webhook's namespace, exempt from it (default confine-system)"},
    {"service", 0, true, "NAME",
     "manifest: the Service, Deployment and ServiceAccount name (default confine-webhook)"},
    {"ca-bundle", 0, true, "FILE", "manifest: the PEM CA that signed the serving certificate (required)"},
    {"tls-secret", 0, true, "NAME", "manifest: the kubernetes.io/tls Secret to mount (default SERVICE-tls)"},
    {"image", 0, true, "IMAGE",
     "manifest: the image (default confine-agent:0.1.0, what `make image` builds)"},
    {"failure-policy", 0, true, "POLICY", "manifest: Fail (default) or Ignore"},
    {"timeout-seconds", 0, true, "N", "manifest: the API server's timeout for one call, 1..30 (default 10)"},
    {"replicas", 0, true, "N", "manifest: replicas of the Deployment (default 2)"},
    {"bundle-parts", 0, true, "N",
     "manifest: the bundle's ConfigMaps confine-bundle-1..N to mount (default 1; 0 = no --bundle)"},
    {"output", 'o', true, "FORMAT", "manifest: yaml (default) or json"},
    {"help", 'h', false, "", "show this help"},
};

void webhook_usage(std::ostream& os) {
  os << "usage: confine k8s webhook --listen ADDR --tls-cert FILE --tls-key FILE [--bundle DIR]\n"
        "                           [--level baseline|restricted] [--k8s-version V] [--max-body-bytes N]\n"
        "                           [--max-connections N] [--read-timeout SECONDS] [--reload-interval "
        "SECONDS]\n"
        "       confine k8s webhook --emit-manifest --ca-bundle FILE [--namespace NS] [--service NAME]\n"
        "                           [--bundle-parts N] [--level ...] [--failure-policy Fail|Ignore] [-o "
        "yaml|json]\n\n"
        "A validating admission webhook (AdmissionReview admission.k8s.io/v1 over TLS) running the checks "
        "of\n"
        "`confine k8s scan` on Pods (and pods/ephemeralcontainers), Deployments, StatefulSets, DaemonSets,\n"
        "ReplicaSets, Jobs, CronJobs, ReplicationControllers and PodTemplates, above all the one CEL cannot\n"
        "do: a Localhost seccomp or AppArmor profile must be in --bundle, the bundle the nodes hold, with "
        "its\n"
        "content hash. An error finding denies (status.message names each check id and field path); "
        "warnings\n"
        "go back as admission warnings. DELETE, CONNECT, other subresources and other kinds are allowed\n"
        "(the message says why); an UPDATE that leaves the pod spec and annotations unchanged is allowed.\n"
        "  POST /validate   the AdmissionReview (application/json; at most --max-body-bytes, JSON depth 64)\n"
        "  GET  /healthz    200 while the process serves\n"
        "  GET  /readyz     200 once the bundle is loaded (503 before, and while draining)\n"
        "  GET  /metrics    Prometheus text: reviews by result, latency histogram, malformed requests\n"
        "Malformed requests get 400 (JSON), 413 (body), 415 (Content-Type), 404/405, 408 (too slow); a\n"
        "well-formed review that is not an admission.k8s.io/v1 AdmissionReview is denied with the reason.\n"
        "A bundle that cannot be loaded: not ready, and workloads are denied (fail closed) until it loads.\n"
        "SIGHUP reloads the bundle and the certificate; SIGTERM stops accepting and drains.\n\n"
        "--emit-manifest writes what runs it: a ValidatingWebhookConfiguration (failurePolicy, sideEffects:\n"
        "None, timeoutSeconds, admissionReviewVersions [v1], its own namespace exempt), a ServiceAccount, a\n"
        "Service and a hardened Deployment mounting the TLS Secret and the bundle's ConfigMaps.\n\n"
     << format_options(kWebhookOpts)
     << "\nexamples:\n"
        "  confine k8s webhook --listen :8443 --tls-cert tls.crt --tls-key tls.key --bundle deploy/\n"
        "  curl --cacert ca.crt -H 'Content-Type: application/json' --data-binary @review.json \\\n"
        "      https://localhost:8443/validate\n"
        "  confine k8s webhook --emit-manifest --ca-bundle ca.crt --namespace confine-system > webhook.yaml\n"
        "  kubectl -n confine-system create secret tls confine-webhook-tls --cert tls.crt --key tls.key\n"
        "  kubectl apply -f webhook.yaml\n\n"
        "exit status: 0 stopped by SIGTERM/SIGINT (or manifest written), 2 usage error, 125 the "
        "certificate,\n"
        "key or listen address cannot be used\n";
}

bool parse_uint(const Args& a, const char* name, unsigned long lo, unsigned long hi, unsigned long* out) {
  auto v = a.get(name);
  if (!v) return true;
  char* end = nullptr;
  unsigned long n = std::strtoul(v->c_str(), &end, 10);
  if (v->empty() || *end || n < lo || n > hi) {
    print_error("k8s webhook: --" + std::string(name) + " must be " + std::to_string(lo) + ".." +
                std::to_string(hi));
    return false;
  }
  *out = n;
  return true;
}
}  // namespace

int k8s_webhook(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kWebhookOpts, webhook_usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (!a.positional().empty()) {
    print_error("k8s webhook: no positional arguments");
    return kExitUsage;
  }
  k8s::rules::Level level = k8s::rules::Level::Restricted;
  k8s::rules::Version version;
  if (auto l = a.get("level")) {
    auto r = k8s::rules::parse_level(*l);
    if (!r) {
      print_error(r.error());
      return kExitUsage;
    }
    level = *r;
  }
  if (auto v = a.get("k8s-version")) {
    auto r = k8s::rules::parse_version(*v);
    if (!r) {
      print_error(r.error());
      return kExitUsage;
    }
    version = *r;
  }
  if (a.has("emit-manifest")) {
    k8s::webhook::ManifestOptions m;
    m.level = level;
    m.version = version;
    m.version_given = a.has("k8s-version");
    m.ns = a.get("namespace").value_or(m.ns);
    m.service = a.get("service").value_or(m.service);
    m.image = a.get("image").value_or(m.image);
    m.tls_secret = a.get("tls-secret").value_or("");
    m.failure_policy = a.get("failure-policy").value_or(m.failure_policy);
    unsigned long n = m.timeout_seconds;
    if (!parse_uint(a, "timeout-seconds", 1, 30, &n)) return kExitUsage;
    m.timeout_seconds = static_cast<unsigned>(n);
    n = m.replicas;
    if (!parse_uint(a, "replicas", 1, 100, &n)) return kExitUsage;
    m.replicas = static_cast<unsigned>(n);
    n = m.bundle_parts;
    if (!parse_uint(a, "bundle-parts", 0, 100, &n)) return kExitUsage;
    m.bundle_parts = static_cast<unsigned>(n);
    std::string fmt = a.get("output").value_or("yaml");
    if (fmt != "yaml" && fmt != "json") {
      print_error("k8s webhook: -o must be yaml or json");
      return kExitUsage;
    }
    if (!a.has("ca-bundle")) {
      print_error("k8s webhook: --emit-manifest needs --ca-bundle FILE (the CA of the serving certificate)");
      return kExitUsage;
    }
    auto ca = file::read_file(*a.get("ca-bundle"), 1u << 20);
    if (!ca.ok()) {
      print_error(ca.error().context("k8s webhook: --ca-bundle"));
      return kExitUsage;
    }
    m.ca_bundle_pem = std::move(*ca);
    auto objs = k8s::webhook::manifest(m);
    if (!objs.ok()) {
      print_error(objs.error().context("k8s webhook"));
      return kExitUsage;
    }
    std::string out = fmt == "json" ? k8s::policy::to_json(*objs) : k8s::policy::to_yaml(*objs);
    if (auto s = file::write_output("-", out); !s.ok()) {
      print_error(s.error());
      return kExitSetup;
    }
    return kExitOk;
  }
  if (!a.has("listen") || !a.has("tls-cert") || !a.has("tls-key")) {
    print_error("k8s webhook: --listen, --tls-cert and --tls-key are required (or --emit-manifest)");
    return kExitUsage;
  }
  k8s::webhook::ServerOptions o;
  o.listen = *a.get("listen");
  o.cert = *a.get("tls-cert");
  o.key = *a.get("tls-key");
  o.bundle_dir = a.get("bundle").value_or("");
  o.level = level;
  o.version = version;
  unsigned long n = o.http.max_body;
  if (!parse_uint(a, "max-body-bytes", 1024, 64ul << 20, &n)) return kExitUsage;
  o.http.max_body = n;
  n = o.max_connections;
  if (!parse_uint(a, "max-connections", 1, 10000, &n)) return kExitUsage;
  o.max_connections = static_cast<unsigned>(n);
  n = o.read_timeout_ms / 1000;
  if (!parse_uint(a, "read-timeout", 1, 300, &n)) return kExitUsage;
  o.read_timeout_ms = static_cast<unsigned>(n * 1000);
  n = o.reload_interval_s;
  if (!parse_uint(a, "reload-interval", 0, 86400, &n)) return kExitUsage;
  o.reload_interval_s = static_cast<unsigned>(n);
  auto s = k8s::webhook::serve(o);
  if (!s.ok()) {
    print_error(s.error().context("k8s webhook"));
    return kExitSetup;
  }
  return kExitOk;
}

}  // namespace confine::cli
