/**
 * Makes the strict, trimmed JSON schemas test/deploy validates manifests against, from the
 * official Kubernetes OpenAPI (swagger.json) and the CRDs of KEDA and prometheus-operator.
 * Only the kinds the chart and deploy/ use are kept, with every definition they reach;
 * descriptions and formats are dropped (size), and objects reject unknown fields like
 * `kubectl apply --validate=strict` does. See test/deploy/schemas/README.md for the sources.
 *
 *   tsx scripts/k8s-schemas.ts --swagger swagger.json --crd a.yaml [--crd b.yaml] --out FILE
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parseAllDocuments } from "yaml";

type Node = { [key: string]: unknown };

/** apiVersion → kinds kept from the Kubernetes API. */
const KINDS: Readonly<Record<string, readonly string[]>> = {
  v1: ["ConfigMap", "Namespace", "PersistentVolumeClaim", "Secret", "Service", "ServiceAccount"],
  "apps/v1": ["Deployment", "StatefulSet"],
  "batch/v1": ["Job"],
  "policy/v1": ["PodDisruptionBudget"],
  "autoscaling/v2": ["HorizontalPodAutoscaler"],
  "networking.k8s.io/v1": ["NetworkPolicy"],
};

const INT_OR_STRING: Node = { type: ["integer", "string"] };
const QUANTITY: Node = {
  type: ["string", "number"],
  pattern: "^[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$",
};
const SPECIAL: Readonly<Record<string, Node>> = {
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": INT_OR_STRING,
  "io.k8s.apimachinery.pkg.api.resource.Quantity": QUANTITY,
};
const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const KEPT_KEYS = new Set([
  "type",
  "properties",
  "additionalProperties",
  "items",
  "required",
  "enum",
  "$ref",
]);

const isNode = (value: unknown): value is Node =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** One schema node made strict; `refs` collects the definitions it reaches. */
function strict(node: Node, refs: Set<string>): Node {
  if (node["x-kubernetes-int-or-string"] === true) return INT_OR_STRING;
  const out: Node = {};
  for (const [key, value] of Object.entries(node)) {
    if (!KEPT_KEYS.has(key)) continue;
    if (key === "$ref") {
      const name = String(value).replace("#/definitions/", "");
      refs.add(name);
      out.$ref = `#/definitions/${name}`;
    } else if (key === "properties" && isNode(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, child]) => [name, strict(child as Node, refs)]),
      );
    } else if ((key === "items" || key === "additionalProperties") && isNode(value)) {
      out[key] = strict(value, refs);
    } else {
      out[key] = value;
    }
  }
  const open = node["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.properties && out.additionalProperties === undefined && !open) out.additionalProperties = false;
  return out;
}

function kubernetesDefinitions(swagger: Node, kinds: Map<string, string>): Record<string, Node> {
  const all = swagger.definitions as Record<string, Node>;
  const wanted = new Map<string, { version: string; kind: string }>();
  for (const [name, definition] of Object.entries(all)) {
    const gvks = (definition["x-kubernetes-group-version-kind"] ?? []) as {
      group: string;
      version: string;
      kind: string;
    }[];
    for (const gvk of gvks) {
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      if (KINDS[apiVersion]?.includes(gvk.kind)) wanted.set(name, { version: apiVersion, kind: gvk.kind });
    }
  }
  const out: Record<string, Node> = {};
  const pending = [...wanted.keys()];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (out[name]) continue;
    const refs = new Set<string>();
    const special = SPECIAL[name];
    const definition = all[name];
    if (!definition) throw new Error(`the swagger has no definition ${name}`);
    out[name] = special ?? strict(definition, refs);
    const top = wanted.get(name);
    if (top) {
      kinds.set(`${top.version}/${top.kind}`, name);
      const properties = out[name].properties as Node;
      properties.apiVersion = { type: "string", enum: [top.version] };
      properties.kind = { type: "string", enum: [top.kind] };
      // Not required here: a kind is also embedded (a StatefulSet's volumeClaimTemplates) where
      // apiVersion and kind are optional. The validator requires them at the top.
    }
    pending.push(...refs);
  }
  return out;
}

function crdDefinitions(text: string, kinds: Map<string, string>): Record<string, Node> {
  const out: Record<string, Node> = {};
  for (const document of parseAllDocuments(text)) {
    const crd = document.toJS() as Node | null;
    if (!crd || crd.kind !== "CustomResourceDefinition") continue;
    const spec = crd.spec as { group: string; names: { kind: string }; versions: Node[] };
    for (const version of spec.versions.filter((v) => v.served === true)) {
      const apiVersion = `${spec.group}/${String(version.name)}`;
      const name = `${spec.group.split(".").reverse().join(".")}.${String(version.name)}.${spec.names.kind}`;
      const schema = strict((version.schema as Node).openAPIV3Schema as Node, new Set());
      const properties = schema.properties as Node;
      properties.apiVersion = { type: "string", enum: [apiVersion] };
      properties.kind = { type: "string", enum: [spec.names.kind] };
      // The API server checks metadata as ObjectMeta for custom resources too.
      properties.metadata = { $ref: `#/definitions/${OBJECT_META}` };
      schema.required = ["apiVersion", "kind", "metadata", ...((schema.required as string[]) ?? [])];
      out[name] = schema;
      kinds.set(`${apiVersion}/${spec.names.kind}`, name);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      swagger: { type: "string" },
      crd: { type: "string", multiple: true },
      out: { type: "string" },
      source: { type: "string", multiple: true },
    },
  });
  if (!values.swagger || !values.out) throw new Error("usage: --swagger FILE --crd FILE… --out FILE");
  const kinds = new Map<string, string>();
  const swagger = JSON.parse(await readFile(values.swagger, "utf8")) as Node;
  const definitions = kubernetesDefinitions(swagger, kinds);
  for (const crd of values.crd ?? [])
    Object.assign(definitions, crdDefinitions(await readFile(crd, "utf8"), kinds));
  const sorted = (record: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  const document = {
    $comment: `Generated by scripts/k8s-schemas.ts from: ${(values.source ?? []).join("; ")}. See README.md.`,
    kinds: sorted(Object.fromEntries(kinds)),
    definitions: sorted(definitions),
  };
  await writeFile(values.out, `${JSON.stringify(document)}\n`);
  console.log(`wrote ${values.out}: ${kinds.size} kinds, ${Object.keys(definitions).length} definitions`);
}

await main();
