// The peer of bench/scan_throughput.sh: a real third-party evaluator (npm's @bufbuild/cel) running the
// ValidatingAdmissionPolicy `confine k8s policy --emit vap -o json` emits (the same Pod Security checks
// as the scan) over the same objects, as an admission controller would: every expression parsed and
// planned ONCE (parse + plan, reused for every object), then per object the variables and every
// validation evaluated; objects of kinds the policy does not match are skipped, as the API server does.
// Prints objects, workload objects evaluated, objects denied, and the in-process CPU time of the
// compilation and of the evaluation (reading and converting the JSON included).
// usage: node cel_vap_eval.mjs CEL_MODULE_DIR POLICY.json MANIFEST.json...
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [celDir, policyPath, ...manifests] = process.argv.slice(2);
const cel = await import(pathToFileURL(celDir + "/dist/esm/index.js").href);
const t0 = performance.now(), c0 = process.cpuUsage();

function toCel(v) {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === "object") {
    const m = new Map();
    for (const [k, x] of Object.entries(v)) m.set(k, toCel(x));
    return m;
  }
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return v;
}
function flatten(v, out, depth) {
  if (Array.isArray(v) && depth < 4) { for (const i of v) flatten(i, out, depth + 1); return; }
  if (v && typeof v === "object" && !Array.isArray(v) && depth < 4 && typeof v.kind === "string" &&
      v.kind.endsWith("List") && Array.isArray(v.items)) {
    for (const i of v.items) flatten(i, out, depth + 1);
    return;
  }
  out.push(v);
}

const list = JSON.parse(readFileSync(policyPath, "utf8"));
const vap = list.items.find((o) => o.kind === "ValidatingAdmissionPolicy");
const env = cel.celEnv();
const vars = vap.spec.variables.map((v) => ({ name: v.name, run: cel.plan(env, cel.parse(v.expression)) }));
const vals = vap.spec.validations.map((v) => ({ id: v.message.split(":")[0], run: cel.plan(env, cel.parse(v.expression)) }));
const kinds = new Set(vap.spec.matchConstraints.resourceRules.flatMap((r) => r.resources));
const kindOf = { Pod: "pods", Deployment: "deployments", StatefulSet: "statefulsets", DaemonSet: "daemonsets",
                 ReplicaSet: "replicasets", Job: "jobs", CronJob: "cronjobs",
                 ReplicationController: "replicationcontrollers", PodTemplate: "podtemplates" };
const t1 = performance.now(), c1 = process.cpuUsage();

let objects = 0, evaluated = 0, denied = 0;
for (const f of manifests) {
  const objs = [];
  flatten(JSON.parse(readFileSync(f, "utf8")), objs, 0);
  for (const obj of objs) {
    objects++;
    if (!obj || !kinds.has(kindOf[obj.kind])) continue;
    evaluated++;
    const object = toCel(obj);
    const variables = new Map();
    const b = { object, variables, params: null };
    for (const v of vars) {
      const r = v.run(b);
      if (!cel.isCelError(r)) variables.set(v.name, r);
    }
    let deny = false;
    for (const v of vals) if (v.run(b) !== true) deny = true;
    if (deny) denied++;
  }
}
const t2 = performance.now(), c2 = process.cpuUsage();
const cpu = (a, b) => ((b.user + b.system - a.user - a.system) / 1000).toFixed(1);
console.log(`objects ${objects} evaluated ${evaluated} denied ${denied} compile_cpu_ms ${cpu(c0, c1)} eval_cpu_ms ${cpu(c1, c2)} (wall ${(t1 - t0).toFixed(0)} + ${(t2 - t1).toFixed(0)} ms)`);
