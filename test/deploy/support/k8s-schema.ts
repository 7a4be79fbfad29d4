/**
 * Validation of rendered objects against the Kubernetes 1.31.0 API and the KEDA and
 * prometheus-operator CRDs (test/deploy/schemas, made by scripts/k8s-schemas.ts). Unknown
 * fields are errors, as with `kubectl apply --validate=strict`; so is a kind the schemas lack.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { KUBE_VERSION } from "../../../scripts/chart/render";
import type { K8sObject } from "./manifests";

interface SchemaFile {
  readonly kinds: Readonly<Record<string, string>>;
  readonly definitions: Readonly<Record<string, unknown>>;
}

const file = JSON.parse(
  readFileSync(
    path.join(import.meta.dirname, "..", "schemas", `kubernetes-${KUBE_VERSION}-strict.json`),
    "utf8",
  ),
) as SchemaFile;

// Union types ("integer" | "string") are part of the Kubernetes schemas: strict mode is off.
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema({ definitions: file.definitions }, "k8s");

const validators = new Map<string, ValidateFunction>();

function validatorFor(key: string): ValidateFunction | undefined {
  const definition = file.kinds[key];
  if (!definition) return undefined;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.getSchema(`k8s#/definitions/${definition}`)!;
    validators.set(key, validate);
  }
  return validate;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || "/";
  if (error.keyword === "additionalProperties")
    return `${where}: unknown field "${String((error.params as { additionalProperty: string }).additionalProperty)}"`;
  return `${where}: ${error.message ?? error.keyword}`;
}

/** Problems of one object, each "Kind/name /path: message"; empty when it is valid. */
export function validateObject(object: K8sObject): string[] {
  const id = `${object.kind}/${object.metadata?.name ?? "?"}`;
  const validate = validatorFor(`${object.apiVersion}/${object.kind}`);
  if (!validate) return [`${id}: no schema for ${object.apiVersion} ${object.kind}`];
  const problems = validate(object) ? [] : (validate.errors ?? []).map((e) => `${id} ${describe(e)}`);
  // What every top-level object needs but the schema cannot require (kinds are also embedded).
  if (!object.metadata?.name) problems.push(`${id}: metadata.name is missing`);
  return problems;
}

export function validateObjects(objects: readonly K8sObject[]): string[] {
  return objects.flatMap(validateObject);
}
