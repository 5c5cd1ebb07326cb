// Test helper (tests/integration/k8s_bundle.sh): validates Kubernetes objects against the
// OpenAPI schema with the npm package kubernetes-models (test-only), and checks every field
// name against the models' declared properties: the schema validator alone accepts unknown
// (misspelt) fields.
//
//   node k8s_validate.mjs NODE_MODULES_DIR OBJECTS.json
// OBJECTS.json: a JSON array of objects. Prints one line per object; exit 1 on any error.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [nm, input] = process.argv.slice(2);
const km = path.join(nm, "kubernetes-models");

// apiVersion -> directory of kubernetes-models
function modelDir(apiVersion) {
  if (!apiVersion.includes("/")) return path.join(km, apiVersion);
  const [group, version] = apiVersion.split("/");
  return path.join(km, group === "apps" || group === "batch" || group === "policy" ? group : group, version);
}

// Resolves an import specifier of a .d.ts file to the .d.ts path.
function resolveDts(fromFile, spec) {
  let p;
  if (spec.startsWith(".")) p = path.resolve(path.dirname(fromFile), spec);
  else p = path.join(nm, spec);
  p = p.replace(/\.js$/, "");
  return p + ".d.ts";
}

const cache = new Map();
// The properties of the first interface declared in a .d.ts: name -> {type, file}.
function interfaceOf(file) {
  if (cache.has(file)) return cache.get(file);
  let props = null;
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, "utf8");
    const imports = new Map();
    for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g))
      for (const n of m[1].split(",").map((s) => s.trim())) imports.set(n, resolveDts(file, m[2]));
    const body = text.match(/export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/);
    if (body) {
      props = new Map();
      for (const m of body[1].matchAll(/^ {4}"([^"]+)"\??: (.+?);?$/gm)) {
        const type = m[2];
        const ref = type.match(/\bI[A-Za-z0-9]+\b/);
        props.set(m[1], {
          type,
          file: ref && imports.has(ref[0]) ? imports.get(ref[0]) : null,
          map: type.startsWith("{"),
        });
      }
      // TypeMeta of top-level objects
      if (/extends TypeMeta/.test(text)) {
        props.set("apiVersion", { type: "string" });
        props.set("kind", { type: "string" });
      }
    }
  }
  cache.set(file, props);
  return props;
}

function checkFields(value, file, where, errors) {
  const props = interfaceOf(file);
  if (!props || value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const p = props.get(k);
    if (!p) {
      errors.push(`${where}.${k}: unknown field (not in ${path.basename(file, ".d.ts")})`);
      continue;
    }
    if (!p.file || p.map) continue;
    if (Array.isArray(v)) v.forEach((x, i) => checkFields(x, p.file, `${where}.${k}[${i}]`, errors));
    else checkFields(v, p.file, `${where}.${k}`, errors);
  }
}

const objects = JSON.parse(fs.readFileSync(input, "utf8"));
let bad = 0;
for (const obj of objects) {
  const id = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
  const errors = [];
  const dir = modelDir(obj.apiVersion);
  const js = path.join(dir, obj.kind + ".js");
  if (!fs.existsSync(js)) {
    console.log(`FAIL ${id}: no model for ${obj.apiVersion} ${obj.kind}`);
    bad++;
    continue;
  }
  const mod = await import(pathToFileURL(js).href);
  try {
    new mod[obj.kind](obj).validate();
  } catch (e) {
    errors.push("schema: " + (e.message || String(e)).replace(/\s+/g, " ").slice(0, 600));
  }
  checkFields(obj, path.join(dir, obj.kind + ".d.ts"), obj.kind, errors);
  if (errors.length) {
    bad++;
    console.log(`FAIL ${id}: ${errors.join("; ")}`);
  } else {
    console.log(`ok ${id}`);
  }
}
process.exit(bad ? 1 : 0);
