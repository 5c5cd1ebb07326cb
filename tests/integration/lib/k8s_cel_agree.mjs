// Evaluates the CEL of `confine k8s policy --emit vap -o json` with a real CEL implementation
// (npm's @bufbuild/cel) over the objects `confine k8s scan -o json` scanned, and compares per object
// and per check id: the policy denies check X on object O exactly when scan reports an error
// finding of rule X on O. Prints one line per disagreement and the count; exit 1 when any.
// usage: node k8s_cel_agree.mjs CEL_MODULE_DIR POLICY.json SCAN.json PARAMS.json|- MANIFEST.json...
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [celDir, policyPath, scanPath, paramsPath, ...manifests] = process.argv.slice(2);
const cel = await import(pathToFileURL(celDir + "/dist/esm/index.js").href);

// JSON -> CEL input: objects as Map (has() works on map keys), integers as bigint (CEL int).
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

// The same flattening as confine's scan: arrays and *List items, at most 4 deep.
function flatten(v, out, depth) {
  if (Array.isArray(v) && depth < 4) { for (const i of v) flatten(i, out, depth + 1); return; }
  if (v && typeof v === "object" && !Array.isArray(v) && depth < 4 && typeof v.kind === "string" &&
      v.kind.endsWith("List") && Array.isArray(v.items)) {
    for (const i of v.items) flatten(i, out, depth + 1);
    return;
  }
  out.push(v);
}

const objects = [];
for (const f of manifests) flatten(JSON.parse(readFileSync(f, "utf8")), objects, 0);
const scan = JSON.parse(readFileSync(scanPath, "utf8"));
if (scan.objects.length !== objects.length) {
  console.log(`FAIL: scan saw ${scan.objects.length} objects, the test ${objects.length}`);
  process.exit(1);
}
const list = JSON.parse(readFileSync(policyPath, "utf8"));
const vap = list.items.find((o) => o.kind === "ValidatingAdmissionPolicy");
const params = paramsPath === "-" ? null : toCel(JSON.parse(readFileSync(paramsPath, "utf8")));
const kinds = new Set(["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                       "ReplicationController", "PodTemplate"]);
const checkIds = new Set(vap.spec.validations.map((v) => v.message.split(":")[0]));

let disagreements = 0, compared = 0;
for (let i = 0; i < objects.length; i++) {
  const obj = objects[i];
  if (!obj || !kinds.has(obj.kind)) continue;
  const object = toCel(obj);
  const variables = new Map();
  const bindings = () => ({ object, variables, params });
  for (const v of vap.spec.variables) {
    try {
      variables.set(v.name, cel.run(v.expression, bindings()));
    } catch (e) {
      /* unset: a validation that reads it errors (and fails closed, like failurePolicy: Fail) */
    }
  }
  const denied = new Set();
  for (const v of vap.spec.validations) {
    const id = v.message.split(":")[0];
    let r;
    try {
      r = cel.run(v.expression, bindings());
    } catch (e) {
      r = e;
    }
    if (r !== true) denied.add(id);
    if (process.env.CEL_VERBOSE && r !== true) console.log(`  denied: ${scan.objects[i].object} ${id}`);
    if (r !== true && r !== false) console.log(`  note: ${scan.objects[i].object} ${id}: ${String(r && r.message || r)}`);
  }
  const reported = new Set(scan.objects[i].findings.filter((f) => f.severity === "error" && checkIds.has(f.rule))
                                                     .map((f) => f.rule));
  for (const id of checkIds) {
    compared++;
    if (denied.has(id) !== reported.has(id)) {
      disagreements++;
      console.log(`DISAGREE: ${scan.objects[i].object} ${id}: CEL ${denied.has(id) ? "denies" : "admits"}, ` +
                  `scan ${reported.has(id) ? "reports" : "passes"}`);
    }
  }
}
console.log(`${compared} (object, check) pairs compared, ${disagreements} disagreement(s)`);
process.exit(disagreements ? 1 : 0);
