{{/*
Helpers. The chart uses only these functions (tests/helm/render.go renders
it without helm, in CI): include, default, required, quote, indent,
nindent, toYaml, b64enc, and text/template's own (printf, eq, ne, and, or,
not). Maps copied with toYaml are placed after `key:` (never merged into a
block), so that JSON (the test renderer's toYaml) and helm's block YAML
both read right.
*/}}

{{/* Every object's name: the release's, so the gateway's Service is <release>.<namespace>.svc.cluster.local. */}}
{{- define "mfa-gate.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride -}}
{{- end -}}

{{- define "mfa-gate.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mfa-gate.labels" -}}
{{ include "mfa-gate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The Secret holding hmac-key, encryption-key, support-token and (postgres) database-url. */}}
{{- define "mfa-gate.secretName" -}}
{{- default (include "mfa-gate.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "mfa-gate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Whether the store is sled ("true") or postgres (""); any other backend stops the render. */}}
{{- define "mfa-gate.sled" -}}
{{- if eq .Values.store.backend "sled" -}}
true
{{- else if ne .Values.store.backend "postgres" -}}
{{- required (printf "store.backend must be postgres or sled, not %q" .Values.store.backend) nil -}}
{{- end -}}
{{- end -}}

{{/*
The pod of the Deployment (postgres) and of the StatefulSet (sled): one
container, non-root, read-only root file system, no capabilities. The
config is the ConfigMap mounted as a directory (never subPath): an update
swaps its symlink and the gateway re-reads the file. The keys come from the
Secret as environment variables, read at start.
*/}}
{{- define "mfa-gate.podTemplate" -}}
{{- $secret := include "mfa-gate.secretName" . -}}
metadata:
  labels:
    {{- include "mfa-gate.selectorLabels" . | nindent 4 }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- range $key, $value := . }}
    {{ $key }}: {{ $value | quote }}
    {{- end }}
  {{- end }}
spec:
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:{{ toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    fsGroup: 65532
    fsGroupChangePolicy: OnRootMismatch
    seccompProfile:
      type: RuntimeDefault
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  containers:
    - name: mfa-gate
      image: {{ include "mfa-gate.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command: ["/usr/local/bin/mfa-gate"]
      args: ["serve", "-c", "/etc/mfa-gate/mfa-gate.yaml"]
      ports:
        - name: http
          containerPort: 8080
          protocol: TCP
        - name: admin
          containerPort: 9090
          protocol: TCP
        - name: metrics
          containerPort: 9091
          protocol: TCP
        - name: asks
          containerPort: 9092
          protocol: TCP
      env:
        - name: MFA_GATE_HMAC_KEY
          valueFrom:
            secretKeyRef:
              name: {{ $secret }}
              key: hmac-key
        - name: MFA_GATE_ENCRYPTION_KEY
          valueFrom:
            secretKeyRef:
              name: {{ $secret }}
              key: encryption-key
        - name: MFA_GATE_SUPPORT_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ $secret }}
              key: support-token
        {{- if not (include "mfa-gate.sled" .) }}
        - name: MFA_GATE_DATABASE_URL
          valueFrom:
            secretKeyRef:
              name: {{ $secret }}
              key: database-url
        {{- end }}
      # Up while the process runs; never touches the store (a database
      # outage must not restart every pod).
      startupProbe:
        httpGet:
          path: /livez
          port: 9091
        periodSeconds: 2
        failureThreshold: 30
      livenessProbe:
        httpGet:
          path: /livez
          port: 9091
        periodSeconds: 10
        timeoutSeconds: 2
        failureThreshold: 3
      # Ready while the store answers within 1 s: a replica cut off from
      # PostgreSQL leaves the Service (it fails closed meanwhile).
      readinessProbe:
        httpGet:
          path: /readyz
          port: 9091
        periodSeconds: 5
        timeoutSeconds: 2
        failureThreshold: 2
      resources:{{ toYaml .Values.resources | nindent 8 }}
      securityContext:
        runAsNonRoot: true
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        capabilities:
          drop: ["ALL"]
      volumeMounts:
        - name: config
          mountPath: /etc/mfa-gate
          readOnly: true
        # pingora's pid file and upgrade socket.
        - name: tmp
          mountPath: /tmp
        {{- if include "mfa-gate.sled" . }}
        - name: data
          mountPath: /var/lib/mfa-gate
        {{- end }}
        {{- range .Values.extraVolumeMounts }}
        -{{ toYaml . | nindent 10 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "mfa-gate.fullname" . }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- range .Values.extraVolumes }}
    -{{ toYaml . | nindent 6 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:{{ toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:{{ toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:{{ toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
