{{/*
Names and labels. Every object is <fullname>-<component>; selectors use name, instance and
component only (labels that never change across upgrades).
*/}}
{{- define "pixellm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pixellm.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "pixellm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "pixellm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pixellm
{{- end }}

{{/* (dict "root" $ "component" "llm") */}}
{{- define "pixellm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pixellm.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "pixellm.componentLabels" -}}
{{ include "pixellm.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "pixellm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pixellm.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The four services, by values section: `name` is the component (object suffix and container
name), `entry` the service's compiled main module, `hostEnv`/`portEnv` where it listens,
`addressesEnv` the gateway's variable for a stage's address, `stage` its metrics label,
`envPrefix` the prefix of its own variables (<PREFIX>_TLS_CERT, …).
*/}}
{{- define "pixellm.components" -}}
gateway:
  name: gateway
  entry: services/gateway/dist/main.js
  hostEnv: GATEWAY_HOST
  portEnv: GATEWAY_PORT
  envPrefix: GATEWAY
visionEncoder:
  name: vision-encoder
  entry: services/vision-encoder/dist/main.js
  hostEnv: VISION_HOST
  portEnv: VISION_PORT
  envPrefix: VISION
  addressesEnv: VISION_ADDRESSES
  stage: vision-encoder
llm:
  name: llm
  entry: services/llm/dist/main.js
  hostEnv: LLM_HOST
  portEnv: LLM_PORT
  envPrefix: LLM
  addressesEnv: LLM_ADDRESSES
  stage: llm
pixelDecoder:
  name: pixel-decoder
  entry: services/pixel-decoder/dist/main.js
  hostEnv: DECODER_HOST
  portEnv: DECODER_PORT
  envPrefix: DECODER
  addressesEnv: DECODER_ADDRESSES
  stage: pixel-decoder
{{- end }}

{{/* Values sections in rendering order (a dict's keys would come out sorted). */}}
{{- define "pixellm.stageKeys" -}}
{{- list "visionEncoder" "llm" "pixelDecoder" | toJson }}
{{- end }}

{{- define "pixellm.componentKeys" -}}
{{- prepend (include "pixellm.stageKeys" . | fromJsonArray) "gateway" | toJson }}
{{- end }}

{{/* The image of a component: the CUDA image for GPU stages. (dict "root" $ "values" $v) */}}
{{- define "pixellm.image" -}}
{{- $image := .root.Values.image }}
{{- $tag := default .root.Chart.AppVersion $image.tag }}
{{- if gt (int (default 0 .values.gpu)) 0 }}
{{- $tag = printf "%s%s" $tag $image.gpuTagSuffix }}
{{- end }}
{{- printf "%s:%s" $image.repository $tag }}
{{- end }}

{{- define "pixellm.bundlePath" -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.model.mountPath) .Values.model.path }}
{{- end }}

{{- define "pixellm.redisUrl" -}}
{{- if .Values.redis.bundled.enabled }}
{{- printf "redis://%s-redis:%d" (include "pixellm.fullname" .) (int .Values.redis.bundled.port) }}
{{- else }}
{{- .Values.redis.url }}
{{- end }}
{{- end }}

{{/* The Secret holding the Redis password (key redis.passwordSecretKey), if any. */}}
{{- define "pixellm.redisPasswordSecret" -}}
{{- if .Values.redis.bundled.enabled }}
{{- default (printf "%s-redis-auth" (include "pixellm.fullname" .)) .Values.redis.bundled.auth.existingSecret }}
{{- else }}
{{- .Values.redis.passwordSecret }}
{{- end }}
{{- end }}

{{- define "pixellm.apiKeysSecret" -}}
{{- if .Values.apiKeys.existingSecret }}
{{- .Values.apiKeys.existingSecret }}
{{- else if .Values.apiKeys.keys }}
{{- printf "%s-api-keys" (include "pixellm.fullname" .) }}
{{- end }}
{{- end }}

{{/*
A ConfigMap value as the service parses it: Helm reads numbers in values files as floats, so
integers are printed without an exponent (67108864, not 6.7108864e+07).
*/}}
{{- define "pixellm.envValue" -}}
{{- if kindIs "float64" . }}
{{- printf "%d" (int64 .) }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/* Time the process may drain after SIGTERM, plus room to exit before SIGKILL. */}}
{{- define "pixellm.terminationGrace" -}}
{{- add (int .shutdownGraceSeconds) 15 }}
{{- end }}

{{- define "pixellm.autoscaled" -}}
{{- if or .hpa.enabled (and .keda .keda.enabled) }}true{{ end }}
{{- end }}
