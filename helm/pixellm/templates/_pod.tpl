{{/* Pieces of the pod spec shared by the Deployments. */}}

{{/* The gateway's wiring: Redis (URL, password, CA), the stages' headless Services, API keys. */}}
{{- define "pixellm.gatewayEnv" -}}
{{- $fullname := include "pixellm.fullname" . }}
{{- $components := include "pixellm.components" . | fromYaml -}}
- name: GATEWAY_MODE
  value: redis
{{- if and (not .Values.redis.bundled.enabled) .Values.redis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretKey }}
{{- else }}
- name: REDIS_URL
  value: {{ include "pixellm.redisUrl" . | quote }}
{{- end }}
{{- with include "pixellm.redisPasswordSecret" . }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.redis.passwordSecretKey }}
{{- end }}
{{- if .Values.redis.caSecret }}
- name: REDIS_CA_FILE
  value: /etc/pixellm/redis-ca/{{ .Values.redis.caSecretKey }}
{{- end }}
- name: PIXELLM_KEY_PREFIX
  value: {{ .Values.redis.keyPrefix | quote }}
{{- range $key := include "pixellm.stageKeys" . | fromJsonArray }}
{{- $c := get $components $key }}
{{- /* dns: makes the gateway use every ready pod behind the headless Service. */}}
- name: {{ $c.addressesEnv }}
  value: {{ printf "dns:%s-%s:%d" $fullname $c.name (int (get $.Values $key).port) | quote }}
{{- end }}
{{- with include "pixellm.apiKeysSecret" . }}
- name: PIXELLM_API_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.apiKeys.existingSecretKey }}
{{- end }}
{{- if .Values.tenants.existingSecret }}
- name: PIXELLM_TENANTS_FILE
  value: /etc/pixellm/tenants/tenants.json
{{- end }}
{{- end }}

{{/* Requests and limits, plus nvidia.com/gpu for GPU stages. */}}
{{- define "pixellm.resources" -}}
{{- $resources := deepCopy (default dict .resources) }}
{{- if gt (int (default 0 .gpu)) 0 }}
{{- $limits := default dict $resources.limits }}
{{- $_ := set $limits "nvidia.com/gpu" (int .gpu) }}
{{- $_ := set $resources "limits" $limits }}
{{- end }}
{{- toYaml $resources }}
{{- end }}

{{/* Non-root with the runtime's seccomp profile. (dict "runAsUser" … "runAsGroup" … "fsGroup" …) */}}
{{- define "pixellm.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
fsGroup: {{ .fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* A native gRPC probe. (dict "port" 7102 "service" "liveness" "timing" $v.probes.liveness) */}}
{{- define "pixellm.grpcProbe" -}}
grpc:
  port: {{ .port }}
  service: {{ .service | default (quote "") }}
periodSeconds: {{ .timing.periodSeconds }}
timeoutSeconds: {{ .timing.timeoutSeconds }}
failureThreshold: {{ .timing.failureThreshold }}
{{- end }}

{{- define "pixellm.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
{{- end }}

{{- define "pixellm.modelVolume" -}}
- name: model
{{- if eq .Values.model.source "pvc" }}
  persistentVolumeClaim:
    claimName: {{ include "pixellm.modelClaimName" . }}
    readOnly: true
{{- else }}
  emptyDir:
    sizeLimit: {{ .Values.model.init.sizeLimit }}
{{- end }}
{{- end }}

{{- define "pixellm.modelClaimName" -}}
{{- if .Values.model.pvc.claimName }}
{{- .Values.model.pvc.claimName }}
{{- else }}
{{- printf "%s-models" (include "pixellm.fullname" .) }}
{{- end }}
{{- end }}

{{/*
Writes the bundle into the pod's model emptyDir before the service starts. The command is
the user's (copy from object storage, or the pixellm CLI's make-tiny + export); it sees the
same PIXELLM_BUNDLE the service will read.
*/}}
{{- define "pixellm.modelInitContainer" -}}
- name: model
  image: {{ default (include "pixellm.image" (dict "root" . "values" dict)) .Values.model.init.image }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  workingDir: /app
  {{- with .Values.model.init.command }}
  command:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.model.init.args }}
  args:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  env:
    - name: PIXELLM_BUNDLE
      value: {{ include "pixellm.bundlePath" . | quote }}
    {{- with .Values.model.init.env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.model.init.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "pixellm.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    - name: model
      mountPath: {{ .Values.model.mountPath }}
    - name: tmp
      mountPath: /tmp
{{- end }}
