{{/*
TLS wiring: which Secret each pod mounts, where, and the variables that point the services at
the files. A pod serves TLS when it is the gateway with tls.gateway.enabled, or a stage with
tls.internal.enabled; such a pod also opens tls.probePort (plaintext health only) for its probes.
Each helper takes (dict "root" $ "key" "llm").
*/}}

{{- define "pixellm.tlsRoot" -}}/etc/pixellm/tls{{- end }}

{{/* "true" when the pod's own port serves TLS. */}}
{{- define "pixellm.servesTls" -}}
{{- $tls := .root.Values.tls }}
{{- if eq .key "gateway" }}{{ if $tls.gateway.enabled }}true{{ end }}
{{- else if $tls.internal.enabled }}true{{ end }}
{{- end }}

{{- define "pixellm.gatewayTlsSecret" -}}
{{- default (printf "%s-gateway-tls" (include "pixellm.fullname" .)) .Values.tls.gateway.secretName }}
{{- end }}

{{/* The mutual-TLS Secret of a component (the gateway's holds its client certificate). */}}
{{- define "pixellm.internalTlsSecret" -}}
{{- $c := get (include "pixellm.components" .root | fromYaml) .key }}
{{- default (printf "%s-%s-mtls" (include "pixellm.fullname" .root) $c.name) (get .root.Values.tls.internal.secretNames .key) }}
{{- end }}

{{- define "pixellm.stageServerName" -}}
{{- default (printf "%s-stage" (include "pixellm.fullname" .)) .Values.tls.internal.serverName }}
{{- end }}

{{/* The port the kubelet probes: the plaintext health port when the pod serves TLS. */}}
{{- define "pixellm.probePort" -}}
{{- if include "pixellm.servesTls" . }}{{ .root.Values.tls.probePort }}{{ else }}{{ (get .root.Values .key).port }}{{ end }}
{{- end }}

{{- define "pixellm.tlsEnv" -}}
{{- $root := .root }}
{{- $tls := $root.Values.tls }}
{{- $dir := include "pixellm.tlsRoot" . }}
{{- $c := get (include "pixellm.components" $root | fromYaml) .key }}
{{- if eq .key "gateway" }}
{{- if $tls.gateway.enabled }}
- name: GATEWAY_TLS_CERT
  value: {{ $dir }}/public/tls.crt
- name: GATEWAY_TLS_KEY
  value: {{ $dir }}/public/tls.key
{{- if $tls.gateway.clientCaSecretName }}
- name: GATEWAY_TLS_CLIENT_CA
  value: {{ $dir }}/public-client-ca/ca.crt
{{- end }}
{{- end }}
{{- if $tls.internal.enabled }}
- name: STAGE_TLS_CA
  value: {{ $dir }}/internal/ca.crt
- name: STAGE_TLS_CERT
  value: {{ $dir }}/internal/tls.crt
- name: STAGE_TLS_KEY
  value: {{ $dir }}/internal/tls.key
- name: STAGE_TLS_SERVER_NAME
  value: {{ include "pixellm.stageServerName" $root | quote }}
{{- end }}
{{- else if $tls.internal.enabled }}
- name: {{ $c.envPrefix }}_TLS_CERT
  value: {{ $dir }}/internal/tls.crt
- name: {{ $c.envPrefix }}_TLS_KEY
  value: {{ $dir }}/internal/tls.key
- name: {{ $c.envPrefix }}_TLS_CLIENT_CA
  value: {{ $dir }}/internal/ca.crt
{{- end }}
{{- if include "pixellm.servesTls" . }}
- name: {{ $c.envPrefix }}_HEALTH_PORT
  value: {{ $tls.probePort | quote }}
{{- end }}
{{- end }}

{{- define "pixellm.tlsVolumeMounts" -}}
{{- $tls := .root.Values.tls }}
{{- $dir := include "pixellm.tlsRoot" . }}
{{- if and (eq .key "gateway") $tls.gateway.enabled }}
- name: tls-public
  mountPath: {{ $dir }}/public
  readOnly: true
{{- if $tls.gateway.clientCaSecretName }}
- name: tls-public-client-ca
  mountPath: {{ $dir }}/public-client-ca
  readOnly: true
{{- end }}
{{- end }}
{{- if $tls.internal.enabled }}
- name: tls-internal
  mountPath: {{ $dir }}/internal
  readOnly: true
{{- end }}
{{- end }}

{{/* Secret volumes (no subPath: the kubelet then refreshes the files when the Secret changes). */}}
{{- define "pixellm.tlsVolumes" -}}
{{- $tls := .root.Values.tls }}
{{- if and (eq .key "gateway") $tls.gateway.enabled }}
- name: tls-public
  secret:
    secretName: {{ include "pixellm.gatewayTlsSecret" .root }}
    defaultMode: 288 # 0440: read by the owner and the pod's fsGroup
{{- with $tls.gateway.clientCaSecretName }}
- name: tls-public-client-ca
  secret:
    secretName: {{ . }}
    defaultMode: 288 # 0440: read by the owner and the pod's fsGroup
{{- end }}
{{- end }}
{{- if $tls.internal.enabled }}
- name: tls-internal
  secret:
    secretName: {{ include "pixellm.internalTlsSecret" . }}
    defaultMode: 288 # 0440: read by the owner and the pod's fsGroup
{{- end }}
{{- end }}
