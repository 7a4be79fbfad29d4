{{/*
A headless Service over one component's pods: its DNS name resolves to every ready pod, with
the gRPC port and, for scraping per pod, the metrics port.
(dict "root" $ "component" "llm" "name" "<fullname>-llm" "port" 7102)
*/}}
{{- define "pixellm.headlessService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  labels:
    {{- include "pixellm.componentLabels" . | nindent 4 }}
    pixellm.io/metrics: {{ .root.Values.metrics.enabled | quote }}
spec:
  clusterIP: None
  selector:
    {{- include "pixellm.selectorLabels" . | nindent 4 }}
  ports:
    - name: grpc
      port: {{ .port }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    {{- if .root.Values.metrics.enabled }}
    - name: metrics
      port: {{ .root.Values.metrics.port }}
      targetPort: metrics
      protocol: TCP
    {{- end }}
{{- end }}
