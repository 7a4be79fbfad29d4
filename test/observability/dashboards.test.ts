/**
 * The Grafana dashboard and the Prometheus alert rules in deploy/observability reference only
 * metrics the services export (the catalog every instrument is made from), each alert is
 * complete, and docs/observability.md documents every metric.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { METRICS } from "@pixellm/service-kit";
import { parser } from "@prometheus-io/lezer-promql";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const exported = new Set<string>(Object.values(METRICS).map((m) => m.name));
const histograms = new Set<string>(
  Object.values(METRICS)
    .filter((m) => m.instrument === "histogram")
    .map((m) => m.name),
);

/**
 * The metrics a PromQL expression selects (histogram series folded into their family), parsed
 * with Prometheus's own grammar; a syntax error fails the test. Grafana's `$__rate_interval`
 * stands for a duration.
 */
function metricsIn(expr: string): string[] {
  const source = expr.replaceAll("$__rate_interval", "5m");
  const names: string[] = [];
  parser.parse(source).iterate({
    enter: (node) => {
      if (node.type.isError) throw new Error(`PromQL syntax error at ${node.from} in: ${expr}`);
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
        const name = source.slice(node.from, node.to);
        const family = name.replace(/_(bucket|sum|count)$/, "");
        names.push(histograms.has(family) ? family : name);
      }
    },
  });
  return names;
}

interface Panel {
  readonly title: string;
  readonly type: string;
  readonly targets?: readonly { readonly expr: string }[];
}

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

describe("deploy/observability", () => {
  it("every dashboard query uses exported metrics, and the dashboard covers what operators watch", async () => {
    const dashboard = JSON.parse(
      await readFile(path.join(ROOT, "deploy/observability/grafana-dashboard.json"), "utf8"),
    ) as { panels: Panel[]; uid: string };
    expect(dashboard.uid).toBe("pixellm-serve");
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(queries.length).toBeGreaterThan(15);
    const used = new Set(queries.flatMap(metricsIn));
    for (const name of used) expect(exported, `dashboard: ${name}`).toContain(name);
    for (const name of [
      "pixellm_queue_jobs",
      "pixellm_stage_queue_depth",
      "pixellm_jobs_processed_total",
      "pixellm_rpc_server_duration_seconds",
      "pixellm_stage_batch_size",
      "pixellm_llm_time_to_first_token_seconds",
      "pixellm_llm_time_to_first_codebook_token_seconds",
      "pixellm_llm_generated_tokens_total",
      "pixellm_llm_kv_cache_usage_ratio",
      "pixellm_rpc_server_handled_total",
    ])
      expect(used, `dashboard shows ${name}`).toContain(name);
  });

  it("every alert rule uses exported metrics and has a duration, a severity and a summary", async () => {
    const rules = parse(await readFile(path.join(ROOT, "deploy/observability/alerts.yaml"), "utf8")) as {
      groups: { name: string; rules: Rule[] }[];
    };
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        "PixelLMQueueGrowing",
        "PixelLMDeadlinesMissed",
        "PixelLMHighErrorRate",
        "PixelLMNoHealthyReplicas",
        "PixelLMKvCacheSaturated",
      ]),
    );
    for (const rule of all) {
      const used = metricsIn(rule.expr);
      expect(used.length, rule.alert).toBeGreaterThan(0);
      for (const name of used) expect(exported, `${rule.alert}: ${name}`).toContain(name);
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(["warning", "critical"], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
  });

  it("docs/observability.md documents every metric with its type and labels", async () => {
    const doc = await readFile(path.join(ROOT, "docs/observability.md"), "utf8");
    const rows = doc
      .split("\n")
      .filter((line) => line.startsWith("|"))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    for (const spec of Object.values(METRICS)) {
      const row = rows.find((cells) => cells[1] === `\`${spec.name}\``);
      expect(row, spec.name).toBeDefined();
      const type =
        spec.instrument === "histogram"
          ? "histogram"
          : spec.instrument === "counter" || spec.instrument === "observableCounter"
            ? "counter"
            : "gauge";
      expect(row![2], spec.name).toBe(type);
      for (const label of spec.labels)
        expect(row![3], `${spec.name} label ${label}`).toContain(`\`${label}\``);
    }
  });
});
