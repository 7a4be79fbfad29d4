/**
 * values.schema.json of helm/pixellm, built here so that each `<component>.config` section is
 * derived from the service's configuration table (names, types, ranges, meanings).
 */
import {
  type JsonSchema,
  arrayOf,
  bool,
  envVar,
  int,
  intOrPercent,
  k8sObject,
  networkPeer,
  obj,
  oneOfStrings,
  quantity,
  resources,
  str,
  stringMap,
  toleration,
} from "./schema-builders";
import { type ChartComponent, COMPONENTS, settingSchema, tunableSettings } from "./settings";

const PROVIDERS = ["cpu", "webgpu", "cuda"] as const;

function configSchema(component: ChartComponent): JsonSchema {
  const properties = Object.fromEntries(tunableSettings(component).map((s) => [s.env, settingSchema(s)]));
  return {
    type: "object",
    description: `environment of the ${component.name} (its ConfigMap): the service's own settings, defaults from its configuration table`,
    additionalProperties: false,
    properties,
  };
}

const probe = (description: string): JsonSchema =>
  obj(description, {
    periodSeconds: int("seconds between checks", 1),
    timeoutSeconds: int("seconds a check may take", 1),
    failureThreshold: int("failed checks in a row before acting", 1),
  });

function componentSchema(component: ChartComponent): JsonSchema {
  const isGateway = component.key === "gateway";
  const common: Record<string, JsonSchema> = {
    replicas: int("pods (ignored while hpa or keda scales the Deployment)", 0),
    port: int("gRPC port of the container (and of its Service)", 1, 65535),
    resources: resources("container requests and limits"),
    shutdownGraceSeconds: int(
      "time to finish accepted work after SIGTERM (PIXELLM_SHUTDOWN_GRACE_MS); the pod's termination grace period is 15 s longer",
      0,
    ),
    rollingUpdate: obj("rolling update of the Deployment", {
      maxSurge: intOrPercent("extra pods during a rollout"),
      maxUnavailable: intOrPercent("pods that may be unavailable during a rollout"),
    }),
    probes: obj("native gRPC probes (grpc.health.v1)", {
      startup: probe(
        'model load and warm-up: service "" until SERVING; periodSeconds × failureThreshold bounds it',
      ),
      readiness: probe('service "": NOT_SERVING while loading and draining'),
      liveness: probe('service "liveness": SERVING from start to exit'),
    }),
    pdb: obj("PodDisruptionBudget", {
      enabled: bool("create it"),
      maxUnavailable: intOrPercent("pods a voluntary disruption may take at once"),
    }),
    hpa: obj("HorizontalPodAutoscaler (exclusive with keda)", {
      enabled: bool("create it"),
      minReplicas: int("fewest pods", 1),
      maxReplicas: int("most pods", 1),
      targetCPUUtilizationPercentage: int("average CPU utilisation to hold", 1, 100),
      ...(isGateway
        ? {}
        : {
            queueDepthPerReplica: int(
              "> 0: also scale on pixellm_stage_queue_depth per pod (needs a custom-metrics adapter)",
              0,
            ),
          }),
    }),
    nodeSelector: stringMap("node labels the pods require"),
    tolerations: arrayOf("tolerations of the pods (e.g. for GPU node taints)", toleration),
    affinity: obj(
      "pod affinity rules (Kubernetes Affinity)",
      {
        nodeAffinity: k8sObject("NodeAffinity"),
        podAffinity: k8sObject("PodAffinity"),
        podAntiAffinity: k8sObject("PodAntiAffinity"),
      },
      { required: [] },
    ),
    topologySpread: obj("spread of the pods over topology domains", {
      enabled: bool("add the constraint"),
      maxSkew: int("largest allowed difference in pods between domains", 1),
      topologyKey: str("node label that defines a domain"),
      whenUnsatisfiable: oneOfStrings("what the scheduler does when it cannot satisfy the constraint", [
        "ScheduleAnyway",
        "DoNotSchedule",
      ]),
    }),
    podAnnotations: stringMap("extra pod annotations"),
    podLabels: stringMap("extra pod labels"),
    extraEnv: arrayOf("extra environment entries (after the chart's; they win)", envVar),
    config: configSchema(component),
  };
  if (isGateway) {
    return obj("the gateway: public gRPC API, admission, queue, orchestration", {
      ...common,
      service: obj("the gateway's Service", {
        type: oneOfStrings("Service type", ["ClusterIP", "NodePort", "LoadBalancer"]),
        port: int("Service port", 1, 65535),
        annotations: stringMap("Service annotations (e.g. for a load balancer)"),
      }),
    });
  }
  return obj(`the ${component.name} stage`, {
    ...common,
    executionProvider: oneOfStrings(
      "onnxruntime execution provider (PIXELLM_EXECUTION_PROVIDER); falls back to cpu, logged",
      PROVIDERS,
    ),
    gpu: int("nvidia.com/gpu per pod; > 0 also selects the CUDA image", 0),
    keda: obj("KEDA ScaledObject on queue depth (exclusive with hpa)", {
      enabled: bool("create it (needs KEDA and Prometheus)"),
      minReplicas: int("fewest pods (0 allowed: the backlog trigger wakes the stage)", 0),
      maxReplicas: int("most pods", 1),
      backlogPerReplica: int("gateway jobs waiting (waiting + prioritized + delayed) per pod", 1),
      queueDepthPerReplica: int("requests queued or running in this stage per pod", 1),
    }),
  });
}

const model = obj(
  "where the model bundle comes from (mounted read-only at mountPath in every pod)",
  {
    source: oneOfStrings("pvc: an exported bundle in a volume; init: an init container writes it", [
      "pvc",
      "init",
    ]),
    mountPath: str("where the model volume is mounted", { pattern: "^/" }),
    path: str("bundle directory inside the volume: PIXELLM_BUNDLE = mountPath/path", { minLength: 1 }),
    verify: oneOfStrings("how services check the bundle at start-up (PIXELLM_BUNDLE_VERIFY)", [
      "size",
      "sha256",
    ]),
    pvc: obj("the volume when source is pvc", {
      claimName: str("existing claim (or the name of the one created); empty with create: <fullname>-models"),
      create: bool("create the claim (kept on uninstall)"),
      size: quantity("size of a created claim"),
      storageClassName: str("storage class of a created claim (empty: the cluster's default)"),
      accessModes: arrayOf(
        "access modes of a created claim (ReadOnlyMany lets every node mount it)",
        oneOfStrings("access mode", ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]),
      ),
    }),
    init: obj("the init container when source is init", {
      image: str("its image (empty: the chart's image, which carries the pixellm CLI)"),
      command: arrayOf("its command; it must write the bundle to $PIXELLM_BUNDLE", { type: "string" }),
      args: arrayOf("its arguments", { type: "string" }),
      env: arrayOf("its extra environment", envVar),
      sizeLimit: quantity("size limit of the per-pod emptyDir that holds the bundle"),
      resources: resources("its requests and limits"),
    }),
  },
  {
    // A source without its volume would start pods that can never find the bundle.
    allOf: [
      {
        if: { properties: { source: { const: "pvc" } } },
        then: {
          properties: {
            pvc: {
              if: { properties: { create: { const: false } } },
              then: { properties: { claimName: { minLength: 1 } } },
            },
          },
        },
      },
      {
        if: { properties: { source: { const: "init" } } },
        then: { properties: { init: { properties: { command: { minItems: 1 } } } } },
      },
    ],
  },
);

const DNS_NAME = { pattern: "^[a-z0-9*]([-a-z0-9.]*[a-z0-9])?$" };
const secretName = (description: string): JsonSchema =>
  str(description, { pattern: "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$" });

const tls = obj(
  "TLS: certificates from Secrets (mounted read-only, re-read every PIXELLM_TLS_REFRESH_MS), optionally issued by cert-manager",
  {
    gateway: obj("TLS on the gateway's public port (GATEWAY_TLS_CERT, GATEWAY_TLS_KEY)", {
      enabled: bool("serve the public API over TLS"),
      secretName: secretName("Secret with tls.crt and tls.key (empty: <fullname>-gateway-tls)"),
      clientCaSecretName: secretName(
        "Secret whose ca.crt signs the client certificates callers must present (GATEWAY_TLS_CLIENT_CA; empty: none asked)",
      ),
      dnsNames: arrayOf("more names of the certificate cert-manager requests", {
        type: "string",
        ...DNS_NAME,
      }),
    }),
    internal: obj("mutual TLS between the gateway and the stages (STAGE_TLS_*, <PREFIX>_TLS_*)", {
      enabled: bool("the stages require the gateway's client certificate; the gateway checks theirs"),
      secretNames: obj("Secrets with tls.crt, tls.key and ca.crt (empty: <fullname>-<component>-mtls)", {
        gateway: secretName("the gateway's client certificate"),
        visionEncoder: secretName("the vision-encoder's server certificate"),
        llm: secretName("the llm's server certificate"),
        pixelDecoder: secretName("the pixel-decoder's server certificate"),
      }),
      serverName: str(
        "name every stage certificate carries, expected by the gateway (STAGE_TLS_SERVER_NAME; empty: <fullname>-stage)",
        { pattern: "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$" },
      ),
    }),
    probePort: int(
      "plaintext grpc.health.v1-only port of pods that serve TLS, for the kubelet's probes (<PREFIX>_HEALTH_PORT)",
      1,
      65535,
    ),
    certManager: obj("cert-manager Certificates for the Secrets above", {
      enabled: bool("create them (needs cert-manager)"),
      issuerRef: obj("the Issuer or ClusterIssuer that signs them", {
        name: str("its name (required when enabled)"),
        kind: oneOfStrings("its kind", ["Issuer", "ClusterIssuer"]),
        group: str("its API group", { minLength: 1 }),
      }),
      duration: str("certificate lifetime", { pattern: "^([0-9]+(\\.[0-9]+)?(h|m|s))+$" }),
      renewBefore: str("renew this long before expiry", { pattern: "^([0-9]+(\\.[0-9]+)?(h|m|s))+$" }),
    }),
  },
);

export function valuesSchema(): JsonSchema {
  const components = Object.fromEntries(COMPONENTS.map((c) => [c.key, componentSchema(c)]));
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "pixellm chart values",
    ...obj("Generated by `pnpm chart:generate` from scripts/chart/ and the services' configuration tables.", {
      nameOverride: str("replaces the chart name in object names"),
      fullnameOverride: str("replaces <release>-<chart> in object names"),
      image: obj("the PixelLM Serve image (one image, every service)", {
        repository: str("image repository", { minLength: 1 }),
        tag: str("image tag (empty: the chart's appVersion)"),
        gpuTagSuffix: str("appended to the tag for GPU stages: the CUDA image"),
        pullPolicy: oneOfStrings("image pull policy", ["Always", "IfNotPresent", "Never"]),
      }),
      imagePullSecrets: arrayOf(
        "Secrets for pulling the images",
        obj("a Secret reference", { name: str("Secret name", { minLength: 1 }) }),
      ),
      serviceAccount: obj("the pods' ServiceAccount (its token is never mounted)", {
        create: bool("create it"),
        name: str("its name (empty: <fullname> when created, default otherwise)"),
        annotations: stringMap("its annotations (e.g. cloud workload identity)"),
      }),
      logLevel: oneOfStrings("lowest log level written by every service (PIXELLM_LOG_LEVEL)", [
        "debug",
        "info",
        "warn",
        "error",
      ]),
      securityContext: obj("who the services run as (always non-root, read-only root, no capabilities)", {
        runAsUser: int("user id", 1),
        runAsGroup: int("group id", 1),
        fsGroup: int("group owning mounted volumes", 1),
        tmpSizeLimit: quantity("size limit of the writable /tmp emptyDir"),
      }),
      model,
      redis: obj("Redis: job queue, stage checkpoints and results", {
        url: str("external Redis URL (ignored when bundled.enabled or existingSecret is set)", {
          pattern: "^rediss?://",
        }),
        existingSecret: str("Secret holding the Redis URL (use it when the URL carries a password)"),
        existingSecretKey: str("key of the URL in existingSecret", { minLength: 1 }),
        passwordSecret: str("Secret holding the password of an external Redis (REDIS_PASSWORD)"),
        passwordSecretKey: str("key of the password in that Secret (and in the bundled Redis's)", {
          minLength: 1,
        }),
        caSecret: str("Secret holding the CA certificate of a rediss:// Redis (mounted; REDIS_CA_FILE)"),
        caSecretKey: str("key of the CA certificate in caSecret", { minLength: 1 }),
        keyPrefix: str("prefix of every Redis key and of the queue (PIXELLM_KEY_PREFIX)", { minLength: 1 }),
        bundled: obj("a single Redis StatefulSet for small installs", {
          enabled: bool("deploy it and point the gateway at it"),
          image: obj("its image", {
            repository: str("image repository", { minLength: 1 }),
            tag: str("image tag (pinned)", { minLength: 1, not: { const: "latest" } }),
            pullPolicy: oneOfStrings("image pull policy", ["Always", "IfNotPresent", "Never"]),
          }),
          port: int("its port", 1, 65535),
          appendfsync: oneOfStrings('when the append-only file is fsynced (never "no")', [
            "everysec",
            "always",
          ]),
          maxmemory: str(
            "memory Redis may use (noeviction: writes fail past it), under resources.limits.memory",
            {
              pattern: "^[0-9]+(kb|mb|gb)$",
            },
          ),
          auth: obj("its password", {
            existingSecret: str(
              "Secret with the password (empty: the chart makes one, random, kept across upgrades)",
            ),
          }),
          persistence: obj("append-only file on a PersistentVolumeClaim", {
            enabled: bool("persist (otherwise an emptyDir: jobs are lost when the pod goes)"),
            size: quantity("claim size"),
            storageClassName: str("storage class (empty: the cluster's default)"),
          }),
          resources: resources("its requests and limits"),
        }),
      }),
      apiKeys: obj("API keys the gateway accepts (PIXELLM_API_KEYS)", {
        keys: arrayOf(
          "keys, stored in a Secret the chart creates (empty and no existingSecret: no authentication)",
          {
            type: "string",
            minLength: 8,
            pattern: "^[^,\\s]+$",
          },
        ),
        existingSecret: str("Secret holding the keys (comma-separated) instead of keys"),
        existingSecretKey: str("key of the keys in that Secret", { minLength: 1 }),
      }),
      tenants: obj("the gateway's tenants file (PIXELLM_TENANTS_FILE), from a Secret", {
        existingSecret: str(
          "Secret holding the tenants file (empty: none); restart the gateway after changing it",
        ),
        existingSecretKey: str("key of the file in that Secret", { minLength: 1 }),
      }),
      tls,
      metrics: obj("Prometheus metrics over HTTP on every service (PIXELLM_METRICS_PORT, /metrics)", {
        enabled: bool("expose the metrics port"),
        port: int("metrics port of every container", 1, 65535),
        serviceMonitor: obj("a prometheus-operator ServiceMonitor over the headless Services", {
          enabled: bool("create it (needs the ServiceMonitor CRD)"),
          interval: str("scrape interval", { pattern: "^[0-9]+(ms|s|m|h)$" }),
          scrapeTimeout: str("scrape timeout", { pattern: "^[0-9]+(ms|s|m|h)$" }),
          labels: stringMap("extra labels (to match your Prometheus' serviceMonitorSelector)"),
        }),
      }),
      keda: obj("settings shared by the stages' KEDA ScaledObjects (<stage>.keda)", {
        prometheusAddress: str("Prometheus that KEDA queries", { pattern: "^https?://" }),
        pollingInterval: int("seconds between queries", 1),
        cooldownPeriod: int("seconds after the last activity before scaling to minReplicas 0", 0),
      }),
      networkPolicy: obj("NetworkPolicies: clients → gateway → stages and Redis; monitoring → metrics", {
        enabled: bool("create them"),
        gatewayClients: arrayOf(
          "who may call the gateway (NetworkPolicyPeer list; empty: anyone)",
          networkPeer,
        ),
        monitoring: obj("who may scrape the metrics ports", {
          namespaceSelector: k8sObject("LabelSelector of the monitoring namespaces"),
          podSelector: k8sObject("LabelSelector of the scraping pods"),
        }),
        restrictEgress: bool("also restrict egress: the gateway to DNS, stages and Redis; stages to DNS"),
        redisPeers: arrayOf("where the external Redis is (NetworkPolicyPeer list; empty: any)", networkPeer),
        redisPort: int("port of the external Redis", 1, 65535),
        stageEgress: arrayOf("extra egress rules for the stages (NetworkPolicyEgressRule list)", {
          type: "object",
          additionalProperties: false,
          properties: {
            to: { type: "array", items: networkPeer },
            ports: {
              type: "array",
              items: {
                type: "object",
                additionalProperties: false,
                properties: {
                  port: { type: ["integer", "string"] },
                  endPort: { type: "integer" },
                  protocol: { type: "string", enum: ["TCP", "UDP", "SCTP"] },
                },
              },
            },
          },
        }),
      }),
      ...components,
    }),
  };
}
