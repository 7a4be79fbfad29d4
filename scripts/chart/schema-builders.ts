/**
 * Small constructors for the values schema (JSON Schema draft-07, which Helm 3.17 checks
 * values against). Objects are closed (additionalProperties: false) and list every key as
 * required: Helm validates the values merged with values.yaml, so a required key is only
 * missing when a user removes it (`key: null`), and then the message names it.
 */
export type JsonSchema = { readonly [key: string]: unknown };

export const str = (description: string, extra: JsonSchema = {}): JsonSchema => ({
  type: "string",
  description,
  ...extra,
});

export const int = (description: string, minimum?: number, maximum?: number): JsonSchema => ({
  type: "integer",
  description,
  ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}),
});

export const bool = (description: string): JsonSchema => ({ type: "boolean", description });

export const oneOfStrings = (description: string, values: readonly string[]): JsonSchema => ({
  type: "string",
  enum: values,
  description,
});

export function obj(
  description: string,
  properties: Readonly<Record<string, JsonSchema>>,
  extra: JsonSchema = {},
): JsonSchema {
  return {
    type: "object",
    description,
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
    ...extra,
  };
}

/** An object whose keys are free but whose values are strings (labels, annotations). */
export const stringMap = (description: string): JsonSchema => ({
  type: "object",
  description,
  additionalProperties: { type: "string" },
});

export const arrayOf = (description: string, items: JsonSchema): JsonSchema => ({
  type: "array",
  description,
  items,
});

/**
 * A Kubernetes object passed through to the manifests as it is (selectors, affinity terms):
 * its inside is checked against the Kubernetes schema when the chart is rendered (test/deploy).
 */
export const k8sObject = (description: string): JsonSchema => ({ type: "object", description });

/** Kubernetes resource quantity ("500m", "2", "4Gi", 1.5). */
export const QUANTITY: JsonSchema = {
  type: ["string", "number"],
  pattern: "^[+]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$",
  minimum: 0,
};

export const quantity = (description: string): JsonSchema => ({ ...QUANTITY, description });

/** An integer or a percentage ("25%"), as rolling updates and disruption budgets take. */
export const intOrPercent = (description: string): JsonSchema => ({
  type: ["integer", "string"],
  pattern: "^[0-9]+%$",
  minimum: 0,
  description,
});

export const resources = (description: string): JsonSchema =>
  obj(
    description,
    {
      requests: { type: "object", description: "minimum guaranteed", additionalProperties: QUANTITY },
      limits: { type: "object", description: "maximum allowed", additionalProperties: QUANTITY },
    },
    { required: [] },
  );

/** A container environment entry, as in a pod spec. */
export const envVar: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
    value: { type: "string" },
    valueFrom: { type: "object" },
  },
};

/** A NetworkPolicyPeer. */
export const networkPeer: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    podSelector: { type: "object" },
    namespaceSelector: { type: "object" },
    ipBlock: {
      type: "object",
      additionalProperties: false,
      required: ["cidr"],
      properties: { cidr: { type: "string" }, except: { type: "array", items: { type: "string" } } },
    },
  },
};

export const toleration: JsonSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    key: { type: "string" },
    operator: { type: "string", enum: ["Exists", "Equal"] },
    value: { type: "string" },
    effect: { type: "string", enum: ["", "NoSchedule", "PreferNoSchedule", "NoExecute"] },
    tolerationSeconds: { type: "integer" },
  },
};
