/**
 * What "an overlay equals the chart" means: the same objects with the same content, except
 * the namespace field (kustomize writes it, helm template leaves it to `helm install`),
 * Helm's own labels and the config checksum annotation (a Helm-side rollout trigger).
 * Environment lists compare by name (their order has no meaning without $(VAR) references).
 */
import { isDeepStrictEqual } from "node:util";
import type { K8sObject } from "./manifests";

const HELM_LABELS = ["helm.sh/chart", "app.kubernetes.io/managed-by"];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function normalize(value: Json, key = ""): Json {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalize(v));
    if (key === "env")
      items.sort((a, b) =>
        String((a as { name: string }).name).localeCompare(String((b as { name: string }).name)),
      );
    return items;
  }
  if (value === null || typeof value !== "object") return value;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "namespace" && key === "metadata") continue;
    if (HELM_LABELS.includes(k) && key === "labels") continue;
    if (k.startsWith("checksum/") && key === "annotations") continue;
    out[k] = normalize(v, k);
  }
  if (key === "annotations" && Object.keys(out).length === 0) return null;
  return out;
}

const id = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

/** Differences between two object sets ("only in …", "differs: …"); empty when equivalent. */
export function differences(actual: readonly K8sObject[], expected: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const byId = new Map(expected.map((o) => [id(o), o]));
  for (const object of actual) {
    const other = byId.get(id(object));
    if (!other) problems.push(`only in the overlay: ${id(object)}`);
    else if (!isDeepStrictEqual(normalize(object as unknown as Json), normalize(other as unknown as Json)))
      problems.push(
        `differs: ${id(object)}\n  overlay: ${JSON.stringify(normalize(object as unknown as Json))}\n  chart:   ${JSON.stringify(normalize(other as unknown as Json))}`,
      );
    byId.delete(id(object));
  }
  problems.push(...[...byId.keys()].map((k) => `only in the chart: ${k}`));
  return problems;
}
