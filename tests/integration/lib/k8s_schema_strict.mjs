// Validates the objects `confine k8s policy --emit vap` writes (ValidatingAdmissionPolicy, its binding,
// the parameter ConfigMap) against the Kubernetes OpenAPI schema with npm's kubernetes-models
// (`new X(obj).validate()`), and, because that validator accepts unknown (misspelt) fields, walks
// every key against the property names of the typed interfaces its .d.ts files declare.
// usage: node k8s_schema_strict.mjs NODE_MODULES LIST.json     exit 1 on any error
import { readFileSync, readdirSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [nm, listPath] = process.argv.slice(2);
const dirs = [nm + "/kubernetes-models/admissionregistration.k8s.io/v1", nm + "/kubernetes-models/v1",
              nm + "/@kubernetes-models/apimachinery/apis/meta/v1"];
// interface (by its exported long name and short name) -> {prop: type text}
const types = new Map();
for (const d of dirs) {
  for (const f of readdirSync(d).filter((f) => f.endsWith(".d.ts"))) {
    const t = readFileSync(d + "/" + f, "utf8");
    const m = /export interface (\w+)(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/.exec(t);
    if (!m) continue;
    const props = {};
    for (const line of m[2].split("\n")) {
      const p = /^ {4}"([^"]+)"\??: (.*?);?$/.exec(line);
      if (p) props[p[1]] = p[2];
    }
    types.set(m[1], props);
    for (const a of t.matchAll(/(\w+) as (IIoK8s\w+)/g)) if (a[1] === m[1]) types.set(a[2], props);
  }
}
let errors = 0;
function walk(v, typeName, path) {
  const props = types.get(typeName);
  if (!props) return;  // not a modelled interface: a primitive, an enum, or a map
  if (v === null || typeof v !== "object" || Array.isArray(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (!(k in props)) {
      errors++;
      console.log(`UNKNOWN FIELD ${path}.${k} (not in ${typeName})`);
      continue;
    }
    const t = props[k];
    const arr = /^Array<(\w+)>$/.exec(t);
    if (arr) {
      if (Array.isArray(x)) x.forEach((e, i) => walk(e, arr[1], `${path}.${k}[${i}]`));
    } else if (/^\w+$/.test(t)) {
      walk(x, t, `${path}.${k}`);
    }
  }
}
const ar = await import(pathToFileURL(nm + "/kubernetes-models/admissionregistration.k8s.io/v1/index.js").href);
const core = await import(pathToFileURL(nm + "/kubernetes-models/v1/index.js").href);
const items = JSON.parse(readFileSync(listPath, "utf8")).items;
for (const o of items) {
  const C = o.kind === "ConfigMap" ? core.ConfigMap : ar[o.kind];
  if (!C) {
    errors++;
    console.log("NO MODEL for", o.kind);
    continue;
  }
  try {
    new C(o).validate();
  } catch (e) {
    errors++;
    console.log(`INVALID ${o.kind}: ${e.message}`);
  }
  walk(o, "I" + o.kind, o.kind);
}
console.log(`${items.length} objects, ${types.size} interfaces known, ${errors} error(s)`);
process.exit(errors ? 1 : 0);
