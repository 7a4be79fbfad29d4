/**
 * What a rendered Deployment asks of its container, read the way the kubelet would: the
 * command, the environment (env over envFrom, values from the rendered ConfigMaps and
 * Secrets), the ports, the probes and the volume mounts. The chart-driven local run starts
 * exactly this, with the cluster-only parts mapped to the machine (see `localize`).
 */
import { findObject, type K8sObject } from "./manifests";

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name: string; readonly key: string };
    readonly configMapKeyRef?: { readonly name: string; readonly key: string };
  };
}

export interface GrpcProbe {
  readonly grpc: { readonly port: number; readonly service?: string };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly resources?: {
    readonly requests?: Record<string, unknown>;
    readonly limits?: Record<string, unknown>;
  };
  readonly securityContext?: {
    readonly runAsNonRoot?: boolean;
    readonly allowPrivilegeEscalation?: boolean;
    readonly readOnlyRootFilesystem?: boolean;
    readonly capabilities?: { readonly drop?: readonly string[] };
  };
  readonly command: readonly string[];
  readonly args?: readonly string[];
  readonly workingDir: string;
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly { readonly configMapRef?: { readonly name: string } }[];
  readonly ports: readonly { readonly name: string; readonly containerPort: number }[];
  readonly startupProbe: GrpcProbe;
  readonly readinessProbe: GrpcProbe;
  readonly livenessProbe: GrpcProbe;
  readonly volumeMounts: readonly {
    readonly name: string;
    readonly mountPath: string;
    readonly readOnly?: boolean;
  }[];
}

export interface Volume {
  readonly name: string;
  readonly emptyDir?: { readonly sizeLimit?: string };
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  readonly secret?: { readonly secretName: string; readonly defaultMode?: number };
}

export interface PodTemplate {
  readonly metadata: { readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly containers: readonly Container[];
    readonly initContainers?: readonly Container[];
    readonly terminationGracePeriodSeconds: number;
    readonly securityContext?: {
      readonly runAsNonRoot?: boolean;
      readonly runAsUser?: number;
      readonly runAsGroup?: number;
      readonly fsGroup?: number;
    };
    readonly volumes?: readonly Volume[];
  };
}

export function podTemplate(deployment: K8sObject): PodTemplate {
  return (deployment.spec as { template: PodTemplate }).template;
}

/** The one container of a PixelLM pod. */
export function onlyContainer(deployment: K8sObject): Container {
  const containers = podTemplate(deployment).spec.containers;
  if (containers.length !== 1)
    throw new Error(`${deployment.metadata.name} has ${containers.length} containers`);
  return containers[0]!;
}

export function containerPort(container: Container, name: string): number {
  const port = container.ports.find((p) => p.name === name);
  if (!port) throw new Error(`container ${container.name} has no port named ${name}`);
  return port.containerPort;
}

function secretValue(objects: readonly K8sObject[], name: string, key: string): string {
  const secret = findObject(objects, "Secret", name) as K8sObject & {
    stringData?: Record<string, string>;
    data?: Record<string, string>;
  };
  const value =
    secret.stringData?.[key] ?? (secret.data?.[key] && Buffer.from(secret.data[key], "base64").toString());
  if (value === undefined) throw new Error(`Secret ${name} has no key ${key}`);
  return value;
}

function configMapData(objects: readonly K8sObject[], name: string): Record<string, string> {
  return (findObject(objects, "ConfigMap", name) as K8sObject & { data?: Record<string, string> }).data ?? {};
}

/**
 * The container's environment as the kubelet builds it: envFrom first, then env entries (which
 * win). A reference to an object that was not rendered throws.
 */
export function resolveEnv(container: Container, objects: readonly K8sObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, configMapData(objects, source.configMapRef.name));
  }
  for (const entry of container.env ?? []) {
    const secret = entry.valueFrom?.secretKeyRef;
    const configMap = entry.valueFrom?.configMapKeyRef;
    if (secret) env[entry.name] = secretValue(objects, secret.name, secret.key);
    else if (configMap) env[entry.name] = configMapData(objects, configMap.name)[configMap.key] ?? "";
    else env[entry.name] = entry.value ?? "";
  }
  return env;
}

/** The Service whose selector picks this Deployment's pods and that serves `port`. */
export function serviceFor(
  objects: readonly K8sObject[],
  serviceName: string,
): K8sObject & {
  spec: {
    clusterIP?: string;
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: string | number }[];
  };
} {
  return findObject(objects, "Service", serviceName) as ReturnType<typeof serviceFor>;
}

export function selects(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
