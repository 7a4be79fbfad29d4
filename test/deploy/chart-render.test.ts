/**
 * helm/pixellm with its default values and every example: `helm lint --strict` passes, the
 * rendered objects validate against the Kubernetes 1.31.0 API and the KEDA / prometheus-operator
 * CRDs with unknown fields rejected, and the properties the design asks for hold in each.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CHART_DIR, helm, renderChart } from "../../scripts/chart/render";
import { validateObject, validateObjects } from "./support/k8s-schema";
import { type K8sObject, findObject, ofKind, parseManifests } from "./support/manifests";
import { type Container, onlyContainer, podTemplate } from "./support/rendered-wiring";

const EXAMPLES = readdirSync(path.join(CHART_DIR, "examples"))
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => `helm/pixellm/examples/${f}`);
const CASES = [
  { name: "default values", files: [] as string[] },
  ...EXAMPLES.map((f) => ({ name: f, files: [f] })),
];

const rendered = new Map<string, K8sObject[]>();

beforeAll(async () => {
  for (const c of CASES) rendered.set(c.name, parseManifests(await renderChart({ valuesFiles: c.files })));
});

describe.each(CASES)("helm/pixellm with $name", ({ name, files }) => {
  const objects = () => rendered.get(name)!;

  it("passes helm lint --strict", async () => {
    const out = await helm(["lint", "--strict", CHART_DIR, ...files.flatMap((f) => ["--values", f])]);
    expect(out).toContain("0 chart(s) failed");
  });

  it("renders objects that validate against the Kubernetes 1.31.0 API and the CRDs", () => {
    expect(objects().length).toBeGreaterThan(15);
    expect(validateObjects(objects())).toEqual([]);
  });

  it("runs every pod non-root, read-only, without capabilities, with seccomp and a /tmp emptyDir", () => {
    for (const workload of [...ofKind(objects(), "Deployment"), ...ofKind(objects(), "StatefulSet")]) {
      const pod = podTemplate(workload);
      expect(pod.spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(pod.spec.volumes?.map((v) => v.name)).toContain("tmp");
      for (const container of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])])
        expect(container.securityContext, `${workload.metadata.name}/${container.name}`).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        });
    }
  });

  it("gives each service a PodDisruptionBudget and each stage a headless Service", () => {
    const deployments = ofKind(objects(), "Deployment");
    expect(ofKind(objects(), "PodDisruptionBudget").map((p) => p.metadata.name)).toEqual(
      deployments.map((d) => d.metadata.name),
    );
    for (const stage of deployments.filter((d) => !d.metadata.name.endsWith("-gateway"))) {
      const service = findObject(objects(), "Service", stage.metadata.name) as K8sObject & {
        spec: { clusterIP: string };
      };
      expect(service.spec.clusterIP).toBe("None");
    }
  });

  it("lets each pod drain longer than its service's shutdown grace", () => {
    for (const deployment of ofKind(objects(), "Deployment")) {
      const template = podTemplate(deployment);
      const graceMs = Number(
        onlyContainer(deployment).env?.find((e) => e.name === "PIXELLM_SHUTDOWN_GRACE_MS")?.value,
      );
      expect(template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(graceMs);
    }
  });
});

describe("chart behaviour", () => {
  it("gives GPU stages the CUDA image, the cuda provider and an nvidia.com/gpu limit", () => {
    const objects = rendered.get("helm/pixellm/examples/gpu-7b.yaml")!;
    for (const name of ["pixellm-vision-encoder", "pixellm-llm", "pixellm-pixel-decoder"]) {
      const container = onlyContainer(findObject(objects, "Deployment", name));
      expect(container.image).toMatch(/:0\.1\.0-cuda$/);
      expect(container.resources?.limits?.["nvidia.com/gpu"]).toBe(1);
      expect(container.env?.find((e) => e.name === "PIXELLM_EXECUTION_PROVIDER")?.value).toBe("cuda");
    }
    const gateway = onlyContainer(findObject(objects, "Deployment", "pixellm-gateway"));
    expect(gateway.image).toMatch(/:0\.1\.0$/);
  });

  it("scales the stages with KEDA on the gateway backlog and the stage's own queue depth", () => {
    const objects = rendered.get("helm/pixellm/examples/keda.yaml")!;
    const scaled = ofKind(objects, "ScaledObject") as (K8sObject & {
      spec: { triggers: { metadata: { query: string } }[] };
    })[];
    expect(scaled.map((s) => s.metadata.name)).toEqual([
      "pixellm-vision-encoder",
      "pixellm-llm",
      "pixellm-pixel-decoder",
    ]);
    for (const s of scaled) {
      const [backlog, depth] = s.spec.triggers.map((t) => t.metadata.query);
      expect(backlog).toContain('pixellm_queue_jobs{namespace="pixellm"');
      expect(backlog).toContain('state=~"waiting|prioritized|delayed"');
      expect(depth).toContain("pixellm_stage_queue_depth{");
      // KEDA owns the replica count of a scaled Deployment.
      expect(
        (findObject(objects, "Deployment", s.metadata.name).spec as { replicas?: number }).replicas,
      ).toBeUndefined();
    }
    expect(ofKind(objects, "ServiceMonitor")).toHaveLength(1);
  });

  it("renders an HPA with the queue-depth Pods metric when asked", async () => {
    const objects = parseManifests(
      await renderChart({
        setJson: [
          'llm.hpa={"enabled":true,"minReplicas":1,"maxReplicas":3,"targetCPUUtilizationPercentage":80,"queueDepthPerReplica":8}',
        ],
      }),
    );
    const hpa = findObject(objects, "HorizontalPodAutoscaler", "pixellm-llm");
    expect(validateObject(hpa)).toEqual([]);
    expect(JSON.stringify(hpa.spec)).toContain("pixellm_stage_queue_depth");
  });

  it("refuses HPA and KEDA on the same stage", async () => {
    await expect(renderChart({ setJson: ["llm.hpa.enabled=true", "llm.keda.enabled=true"] })).rejects.toThrow(
      /llm: hpa.enabled and keda.enabled are both true/,
    );
  });

  it("keeps the bundled Redis durable, bounded, non-evicting and behind a password, reachable only from the gateway", () => {
    const objects = rendered.get("helm/pixellm/examples/bundled-redis.yaml")!;
    const redis = findObject(objects, "StatefulSet", "pixellm-redis") as K8sObject & {
      spec: { volumeClaimTemplates: unknown[] };
    };
    const server = onlyContainer(redis);
    const args = server.args!.join(" ");
    expect(args).toContain("--appendonly yes");
    expect(args).toContain("--appendfsync everysec");
    expect(args).toContain("--maxmemory 768mb");
    expect(args).toContain("--maxmemory-policy noeviction");
    expect(args).not.toContain("requirepass"); // the password never appears in args
    expect(server.command.join(" ")).toContain('--requirepass "$REDIS_PASSWORD"');
    const fromSecret = (env: typeof server.env, name: string) =>
      env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    const secretRef = { name: "pixellm-redis-auth", key: "redis-password" };
    expect(fromSecret(server.env, "REDIS_PASSWORD")).toEqual(secretRef);
    expect(fromSecret(server.env, "REDISCLI_AUTH")).toEqual(secretRef);
    const secret = findObject(objects, "Secret", "pixellm-redis-auth") as K8sObject & {
      data: Record<string, string>;
    };
    expect(Buffer.from(secret.data["redis-password"]!, "base64").toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(redis.spec.volumeClaimTemplates).toHaveLength(1);
    const gatewayEnv = onlyContainer(findObject(objects, "Deployment", "pixellm-gateway")).env!;
    expect(gatewayEnv.find((e) => e.name === "REDIS_URL")?.value).toBe("redis://pixellm-redis:6379");
    expect(fromSecret(gatewayEnv, "REDIS_PASSWORD")).toEqual(secretRef);
    const policy = findObject(objects, "NetworkPolicy", "pixellm-redis").spec as {
      ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[];
    };
    expect(
      policy.ingress.map((rule) =>
        rule.from.map((peer) => peer.podSelector.matchLabels["app.kubernetes.io/component"]),
      ),
    ).toEqual([["gateway"]]);
  });

  it("wires TLS from Secrets: read-only mounts, the services' variables, probes on the plaintext health port", () => {
    const objects = rendered.get("helm/pixellm/examples/tls.yaml")!;
    const envOf = (container: Container) =>
      Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    const gateway = onlyContainer(findObject(objects, "Deployment", "pixellm-gateway"));
    expect(envOf(gateway)).toMatchObject({
      GATEWAY_TLS_CERT: "/etc/pixellm/tls/public/tls.crt",
      GATEWAY_TLS_KEY: "/etc/pixellm/tls/public/tls.key",
      GATEWAY_HEALTH_PORT: "7190",
      STAGE_TLS_CA: "/etc/pixellm/tls/internal/ca.crt",
      STAGE_TLS_CERT: "/etc/pixellm/tls/internal/tls.crt",
      STAGE_TLS_KEY: "/etc/pixellm/tls/internal/tls.key",
      STAGE_TLS_SERVER_NAME: "pixellm-stage",
    });
    expect(envOf(gateway).GATEWAY_TLS_CLIENT_CA).toBeUndefined(); // no clientCaSecretName
    const stages = [
      ["pixellm-vision-encoder", "VISION", "pixellm-vision-encoder-mtls"],
      ["pixellm-llm", "LLM", "pixellm-llm-mtls"],
      ["pixellm-pixel-decoder", "DECODER", "pixellm-pixel-decoder-mtls"],
    ] as const;
    for (const [name, prefix, secret] of stages) {
      const deployment = findObject(objects, "Deployment", name);
      const container = onlyContainer(deployment);
      expect(envOf(container)).toMatchObject({
        [`${prefix}_TLS_CERT`]: "/etc/pixellm/tls/internal/tls.crt",
        [`${prefix}_TLS_KEY`]: "/etc/pixellm/tls/internal/tls.key",
        [`${prefix}_TLS_CLIENT_CA`]: "/etc/pixellm/tls/internal/ca.crt",
        [`${prefix}_HEALTH_PORT`]: "7190",
      });
      expect(container.volumeMounts).toContainEqual({
        name: "tls-internal",
        mountPath: "/etc/pixellm/tls/internal",
        readOnly: true,
      });
      expect(podTemplate(deployment).spec.volumes).toContainEqual({
        name: "tls-internal",
        secret: { secretName: secret, defaultMode: 0o440 },
      });
    }
    for (const deployment of ofKind(objects, "Deployment")) {
      const container = onlyContainer(deployment);
      for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe])
        expect(probe.grpc.port, deployment.metadata.name).toBe(7190);
      expect(container.ports).toContainEqual({ name: "health", containerPort: 7190, protocol: "TCP" });
    }
  });

  it("issues the certificates with cert-manager: the stages carry the name the gateway expects", () => {
    const objects = rendered.get("helm/pixellm/examples/tls.yaml")!;
    const certificates = ofKind(objects, "Certificate") as (K8sObject & {
      spec: {
        secretName: string;
        dnsNames?: string[];
        commonName?: string;
        usages: string[];
        issuerRef: Record<string, string>;
      };
    })[];
    expect(certificates.map((c) => c.spec.secretName)).toEqual([
      "pixellm-gateway-tls",
      "pixellm-gateway-mtls",
      "pixellm-vision-encoder-mtls",
      "pixellm-llm-mtls",
      "pixellm-pixel-decoder-mtls",
    ]);
    for (const certificate of certificates)
      expect(certificate.spec.issuerRef).toEqual({
        name: "pixellm-ca",
        kind: "Issuer",
        group: "cert-manager.io",
      });
    const [publicCert, gatewayClient, ...stageCerts] = certificates;
    expect(publicCert!.spec.dnsNames).toContain("pixellm.example.com");
    expect(gatewayClient!.spec.usages).toContain("client auth");
    for (const stage of stageCerts) {
      expect(stage.spec.dnsNames).toContain("pixellm-stage");
      expect(stage.spec.usages).toContain("server auth");
    }
  });

  it("mounts Secrets by name without cert-manager, and keeps TLS off by default", async () => {
    const objects = parseManifests(
      await renderChart({
        setJson: [
          "tls.gateway.enabled=true",
          'tls.gateway.secretName="edge-cert"',
          'tls.gateway.clientCaSecretName="partner-ca"',
        ],
      }),
    );
    expect(ofKind(objects, "Certificate")).toEqual([]);
    const gateway = findObject(objects, "Deployment", "pixellm-gateway");
    expect(podTemplate(gateway).spec.volumes).toEqual(
      expect.arrayContaining([
        { name: "tls-public", secret: { secretName: "edge-cert", defaultMode: 0o440 } },
        { name: "tls-public-client-ca", secret: { secretName: "partner-ca", defaultMode: 0o440 } },
      ]),
    );
    expect(onlyContainer(gateway).env).toContainEqual({
      name: "GATEWAY_TLS_CLIENT_CA",
      value: "/etc/pixellm/tls/public-client-ca/ca.crt",
    });
    // The stages stay plaintext, probed on their own port.
    const llm = onlyContainer(findObject(objects, "Deployment", "pixellm-llm"));
    expect(llm.env?.some((e) => e.name.includes("TLS"))).toBe(false);
    expect(llm.readinessProbe.grpc.port).toBe(7102);
    const defaults = rendered.get("default values")!;
    expect(ofKind(defaults, "Certificate")).toEqual([]);
    for (const deployment of ofKind(defaults, "Deployment"))
      expect(podTemplate(deployment).spec.volumes?.map((v) => v.name)).not.toContain("tls-internal");
  });

  it("refuses cert-manager without an issuer", async () => {
    await expect(
      renderChart({ setJson: ["tls.gateway.enabled=true", "tls.certManager.enabled=true"] }),
    ).rejects.toThrow(/tls.certManager.enabled needs tls.certManager.issuerRef.name/);
  });

  it("passes an external Redis's password and CA from Secrets to the gateway", async () => {
    const objects = parseManifests(
      await renderChart({
        setJson: [
          'redis.url="rediss://redis.example:6380"',
          'redis.passwordSecret="redis-pass"',
          'redis.caSecret="redis-ca"',
        ],
      }),
    );
    expect(validateObjects(objects)).toEqual([]);
    const gateway = findObject(objects, "Deployment", "pixellm-gateway");
    const container = onlyContainer(gateway);
    const env = new Map(container.env!.map((e) => [e.name, e]));
    expect(env.get("REDIS_URL")?.value).toBe("rediss://redis.example:6380");
    expect(env.get("REDIS_PASSWORD")?.valueFrom?.secretKeyRef).toEqual({
      name: "redis-pass",
      key: "redis-password",
    });
    expect(env.get("REDIS_CA_FILE")?.value).toBe("/etc/pixellm/redis-ca/ca.crt");
    expect(container.volumeMounts.find((m) => m.name === "redis-ca")?.mountPath).toBe(
      "/etc/pixellm/redis-ca",
    );
    const volumes = podTemplate(gateway).spec.volumes as { name: string; secret?: { secretName: string } }[];
    expect(volumes.find((v) => v.name === "redis-ca")?.secret?.secretName).toBe("redis-ca");
    // Stages never talk to Redis: no CA mounted there.
    expect(
      onlyContainer(findObject(objects, "Deployment", "pixellm-llm")).volumeMounts.map((m) => m.name),
    ).not.toContain("redis-ca");
  });

  it("rejects objects with unknown fields (the validation is strict)", () => {
    const deployment = structuredClone(
      findObject(rendered.get("default values")!, "Deployment", "pixellm-llm"),
    );
    (podTemplate(deployment).spec.containers[0] as unknown as Record<string, unknown>).gpus = 1;
    expect(validateObject(deployment)).toEqual([
      'Deployment/pixellm-llm /spec/template/spec/containers/0: unknown field "gpus"',
    ]);
    const scaled = structuredClone(
      ofKind(rendered.get("helm/pixellm/examples/keda.yaml")!, "ScaledObject")[0]!,
    );
    (scaled.spec as Record<string, unknown>).maxReplicas = 3;
    expect(validateObject(scaled)).toEqual([
      `ScaledObject/${scaled.metadata.name} /spec: unknown field "maxReplicas"`,
    ]);
  });
});
