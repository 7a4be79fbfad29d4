/**
 * What "an overlay equals the chart" means: the same objects with the same content, except
 * the namespace field (kustomize writes it, helm template leaves it to `helm install`),
 * Helm's own labels and the config checksum annotation (a Helm-side rollout trigger).
 * Environment lists compare by name (their order has no meaning without $(VAR) references).
 */
import { isDeepStrictEqual } from "node:util";
import { HELM_LABELS } from "../../../scripts/chart/deploy-manifests";
import type { K8sObject } from "./manifests";

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
    byId.delete(id(object));
    if (!other) {
      problems.push(`only in the overlay: ${id(object)}`);
      continue;
    }
    const [overlay, chart] = [object, other].map((o) => normalize(o as unknown as Json));
    if (!isDeepStrictEqual(overlay, chart))
      problems.push(
        `differs: ${id(object)}\n  overlay: ${JSON.stringify(overlay)}\n  chart:   ${JSON.stringify(chart)}`,
      );
  }
  problems.push(...[...byId.keys()].map((k) => `only in the chart: ${k}`));
  return problems;
}
