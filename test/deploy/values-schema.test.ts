/**
 * values.schema.json: bad values are refused by Helm with a message that names the value and
 * what it takes; the schema, the README and values.yaml agree with each other and with the
 * services' configuration tables (the generated files are not stale).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { chartFiles } from "../../scripts/chart/generate";
import { CHART_DIR, REPO_ROOT, renderChart } from "../../scripts/chart/render";
import { COMPONENTS, defaultOf, tunableSettings } from "../../scripts/chart/settings";
import { findObject, parseManifests } from "./support/manifests";
import { onlyContainer } from "./support/rendered-wiring";

const SCHEMA_ERROR = "values don't meet the specifications of the schema";

describe("values.schema.json refuses bad values", () => {
  const cases: { what: string; set: string; message: string }[] = [
    {
      what: "negative replicas",
      set: "gateway.replicas=-1",
      message: "gateway.replicas: Must be greater than or equal to 0",
    },
    { what: "an unknown key", set: "llm.gpus=1", message: "llm: Additional property gpus is not allowed" },
    {
      what: "an unknown execution provider",
      set: 'llm.executionProvider="tpu"',
      message: 'llm.executionProvider must be one of the following: "cpu", "webgpu", "cuda"',
    },
    {
      what: "a pvc source without a claim",
      set: 'model.pvc={"claimName":"","create":false,"size":"1Gi","storageClassName":"","accessModes":["ReadOnlyMany"]}',
      message: "model.pvc.claimName: String length must be greater than or equal to 1",
    },
    {
      what: "an init source without a command",
      set: 'model.source="init"',
      message: "model.init.command: Array must have at least 1 items",
    },
    { what: "no bundle source at all", set: "model.source=null", message: "model: source is required" },
    {
      what: "a bad resource quantity",
      set: 'visionEncoder.resources.requests.memory="2 GB"',
      message: "visionEncoder.resources.requests.memory: Does not match pattern",
    },
    {
      what: "a negative GPU count",
      set: "llm.gpu=-1",
      message: "llm.gpu: Must be greater than or equal to 0",
    },
    {
      what: "a service setting out of its range",
      set: "llm.config.LLM_MAX_BATCH_SIZE=0",
      message: "llm.config.LLM_MAX_BATCH_SIZE: Must be greater than or equal to 1",
    },
    {
      what: "a service setting that does not exist",
      set: "llm.config.LLM_BATCH=4",
      message: "llm.config: Additional property LLM_BATCH is not allowed",
    },
    {
      what: "a setting the chart owns, set through config",
      set: "llm.config.LLM_PORT=9000",
      message: "llm.config: Additional property LLM_PORT is not allowed",
    },
    {
      what: "a Redis URL of another scheme",
      set: 'redis.url="http://redis:6379"',
      message: "redis.url: Does not match pattern",
    },
    {
      what: "an unpinned bundled Redis",
      set: 'redis.bundled.image.tag="latest"',
      message: "redis.bundled.image.tag: Must not validate the schema (not)",
    },
  ];

  it.each(cases)("refuses $what", async ({ set, message }) => {
    const failure = renderChart({ setJson: [set] });
    await expect(failure).rejects.toThrow(SCHEMA_ERROR);
    await expect(failure).rejects.toThrow(message);
  });
});

describe("the chart's values agree with the services", () => {
  it("has generated files that are up to date (pnpm chart:generate)", async () => {
    for (const file of await chartFiles())
      expect(await readFile(path.join(REPO_ROOT, file.path), "utf8"), `${file.path} is stale`).toBe(
        file.content,
      );
  });

  it("defaults every service setting in values.yaml to the service's own default", async () => {
    const values = parse(await readFile(path.join(CHART_DIR, "values.yaml"), "utf8")) as Record<
      string,
      { config: Record<string, unknown> }
    >;
    for (const component of COMPONENTS) {
      const expected = Object.fromEntries(tunableSettings(component).map((s) => [s.env, defaultOf(s)]));
      expect(values[component.key]!.config, `${component.key}.config`).toEqual(expected);
    }
  });

  it("sets every variable it owns, each of which its service reads", async () => {
    // With keys and TLS everywhere: their variables are set only then.
    const objects = parseManifests(
      await renderChart({
        setJson: [
          'apiKeys.keys=["a-long-enough-key"]',
          'tenants.existingSecret="pixellm-tenants"',
          "tls.gateway.enabled=true",
          'tls.gateway.clientCaSecretName="pixellm-clients-ca"',
          "tls.internal.enabled=true",
        ],
      }),
    );
    for (const component of COMPONENTS) {
      const tableVariables = new Set(Object.values(component.table).map((s) => s.env));
      const container = onlyContainer(findObject(objects, "Deployment", `pixellm-${component.name}`));
      const set = new Set(container.env?.map((e) => e.name));
      for (const [variable, source] of Object.entries(component.owned)) {
        expect(tableVariables.has(variable), `${component.name} reads ${variable}`).toBe(true);
        expect(set.has(variable), `${component.name} gets ${variable}`).toBe(!source.startsWith("not set"));
      }
    }
  });
});
