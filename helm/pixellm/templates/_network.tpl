{{/* Rules shared by the NetworkPolicies. */}}

{{- define "pixellm.metricsIngress" -}}
{{- if .Values.metrics.enabled -}}
- from:
    - namespaceSelector:
        {{- toYaml .Values.networkPolicy.monitoring.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml .Values.networkPolicy.monitoring.podSelector | nindent 8 }}
  ports:
    - port: metrics
      protocol: TCP
{{- end }}
{{- end }}

{{- define "pixellm.dnsEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}
