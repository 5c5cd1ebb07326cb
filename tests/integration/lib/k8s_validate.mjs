// Test helper: validates Kubernetes objects (a JSON array on stdin, Lists expanded) against the
// OpenAPI schema with the npm package kubernetes-models (5.x), and checks every field name
// against the schema's properties (its validators accept unknown, e.g. misspelt, fields): the
// property lists come from the package's TypeScript declarations (*.d.ts).
// usage: node k8s_validate.mjs NODE_MODULES_DIR < objects.json   -> "ok N" or errors, exit 1
import fs from "fs";
import path from "path";
import { pathToFileURL } from "url";

const nm = process.argv[2];
const root = path.join(nm, "kubernetes-models");
const models = {
  "v1/Pod": "v1/Pod", "v1/List": null, "v1/Service": "v1/Service", "v1/ConfigMap": "v1/ConfigMap",
  "apps/v1/Deployment": "apps/v1/Deployment", "apps/v1/StatefulSet": "apps/v1/StatefulSet",
  "apps/v1/DaemonSet": "apps/v1/DaemonSet", "apps/v1/ReplicaSet": "apps/v1/ReplicaSet",
  "batch/v1/Job": "batch/v1/Job", "batch/v1/CronJob": "batch/v1/CronJob",
};

// interface file -> {prop: type text}
const cache = new Map();
function resolveImport(fromFile, spec) {
  if (spec.startsWith(".")) return path.resolve(path.dirname(fromFile), spec.replace(/\.js$/, "") + ".d.ts");
  return path.join(nm, spec.replace(/\.js$/, "") + ".d.ts");
}
function load(file) {
  if (cache.has(file)) return cache.get(file);
  const src = fs.readFileSync(file, "utf8");
  const imports = {};
  for (const m of src.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports[m[1]] = resolveImport(file, m[2]);
  const iface = src.match(/export interface \w+(?: extends [\w, ]+)? \{([\s\S]*?)\n\}/);
  const props = {};
  if (iface)
    // Properties sit at four spaces; a map type ("{ [key: string]: T }") spans lines.
    for (const m of iface[1].matchAll(/^    "([^"]+)"\??: (.*)$/gm)) props[m[1]] = m[2].replace(/;$/, "");
  const r = { props, imports, file };
  cache.set(file, r);
  return r;
}
const errors = [];
function check(obj, file, where) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return;
  const s = load(file);
  for (const [k, v] of Object.entries(obj)) {
    if (!(k in s.props)) {
      errors.push(`${where}.${k}: unknown field (not in ${path.basename(file)})`);
      continue;
    }
    let t = s.props[k].trim();
    let arr = t.match(/^Array<(\w+)>$/);
    if (arr) {
      if (Array.isArray(v) && s.imports[arr[1]])
        v.forEach((x, i) => check(x, s.imports[arr[1]], `${where}.${k}[${i}]`));
      continue;
    }
    if (s.imports[t]) check(v, s.imports[t], `${where}.${k}`);
  }
}

const input = JSON.parse(fs.readFileSync(0, "utf8"));
const objs = [];
const expand = (o) => (o && (o.kind === "List" || /List$/.test(o.kind || "")) ? o.items.forEach(expand) : objs.push(o));
input.forEach(expand);
for (const [i, o] of objs.entries()) {
  const key = `${o.apiVersion}/${o.kind}`;
  const where = `object ${i} (${o.kind} ${o.metadata && o.metadata.name})`;
  if (!(key in models) || !models[key]) {
    errors.push(`${where}: no model for ${key}`);
    continue;
  }
  const mod = await import(pathToFileURL(path.join(root, models[key] + ".js")).href);
  const cls = mod[o.kind];
  try {
    new cls(o).validate();
  } catch (e) {
    errors.push(`${where}: schema: ${e.message}`);
  }
  check(o, path.join(root, models[key] + ".d.ts"), where);
}
if (errors.length) {
  errors.forEach((e) => console.log(e));
  process.exit(1);
}
console.log(`ok ${objs.length}`);
