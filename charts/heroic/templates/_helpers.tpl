{{/*
Names and labels. These mirror operator/heroic_operator/naming.py exactly (a helm-test imports
naming.py and compares): names are <release>-heroic-<component>, cut to 63 characters; selectors
use only app.kubernetes.io/name, instance and component, never a version or chart label.
*/}}

{{/* The application name used in app.kubernetes.io/name. */}}
{{- define "heroic.name" -}}
heroic
{{- end }}

{{/* <release>-heroic-<component>, cut to 63 characters. Call with (list $ "component"). */}}
{{- define "heroic.componentName" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- printf "%s-%s-%s" $root.Release.Name (include "heroic.name" $root) $component | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/*
Name of a cluster-scoped object (ClusterRole, ClusterRoleBinding): <namespace>-<release>-heroic-
<component>, so that one release name installed in two namespaces does not fight over one object.
Over 63 characters it keeps a prefix and a hash of the whole name. Call with (list $ "component").
*/}}
{{- define "heroic.clusterScopedName" -}}
{{- $root := index . 0 -}}
{{- $full := printf "%s-%s" $root.Release.Namespace (include "heroic.componentName" .) -}}
{{- if le (len $full) 63 -}}
{{- $full -}}
{{- else -}}
{{- printf "%s-%s" ($full | trunc 54 | trimSuffix "-") ($full | sha256sum | trunc 8) -}}
{{- end -}}
{{- end }}

{{/* Selector labels of a component. Call with (list $ "component"). */}}
{{- define "heroic.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "heroic.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name | quote }}
app.kubernetes.io/component: {{ index . 1 | quote }}
{{- end }}

{{/* All labels of a component's objects. Call with (list $ "component"). */}}
{{- define "heroic.labels" -}}
{{- $root := index . 0 -}}
{{ include "heroic.selectorLabels" . }}
app.kubernetes.io/part-of: {{ include "heroic.name" $root }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The operator's ServiceAccount name. */}}
{{- define "heroic.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "heroic.componentName" (list . "operator")) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end }}

{{/* The image reference, tag defaulting to the chart's appVersion. */}}
{{- define "heroic.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end }}

{{/*
The namespaces the operator watches, as a JSON list; empty when it watches all namespaces.
Fails on a combination that the RBAC could not serve.
*/}}
{{- define "heroic.watchNamespaces" -}}
{{- if .Values.operator.watchAllNamespaces -}}
{{- if and .Values.rbac.create (not .Values.rbac.clusterWide) -}}
{{- fail "operator.watchAllNamespaces=true needs rbac.clusterWide=true (a Role cannot grant access to every namespace)" -}}
{{- end -}}
{{- if .Values.operator.watchNamespaces -}}
{{- fail "set either operator.watchAllNamespaces or operator.watchNamespaces, not both" -}}
{{- end -}}
[]
{{- else -}}
{{- default (list .Release.Namespace) .Values.operator.watchNamespaces | uniq | toJson -}}
{{- end -}}
{{- end }}
