package main

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
)

// podTemplate is a pod as a Deployment stamps it out in a real cluster:
// labels and annotations, two containers with ports, env, resources,
// probes and mounts, a projected service account volume, tolerations.
// Encoded by the server it is about 2 KB of JSON.
const podTemplate = `{
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {
    "name": "%s", "namespace": "%s",
    "labels": {"app": "web", "pod-template-hash": "7d9f8c6b5d", "tier": "frontend", "team": "payments"},
    "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-21T20:00:00Z", "prometheus.io/scrape": "true", "prometheus.io/port": "9090"}
  },
  "spec": {
    "containers": [
      {
        "name": "web", "image": "registry.example.com/payments/web:v1.42.7",
        "args": ["--listen=:8080", "--metrics=:9090", "--log-level=info"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
        "env": [
          {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
          {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
          {"name": "DATABASE_URL", "value": "postgres://payments-db.payments.svc.cluster.local:5432/payments"},
          {"name": "CACHE_ADDR", "value": "redis.payments.svc.cluster.local:6379"}
        ],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}, {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 10, "periodSeconds": 10},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
        "imagePullPolicy": "IfNotPresent"
      },
      {
        "name": "log-shipper", "image": "registry.example.com/infra/fluent-bit:2.2.0",
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}],
        "imagePullPolicy": "IfNotPresent"
      }
    ],
    "volumes": [
      {"name": "config", "configMap": {"name": "web-config"}},
      {"name": "kube-api-access", "projected": {"sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}
      ]}}
    ],
    "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
    "serviceAccountName": "default",
    "tolerations": [
      {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
      {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
    ]
  }
}`

// newPod returns the benchmark pod called name in namespace ns.
func newPod(ns, name string) (*core.Pod, error) {
	p := &core.Pod{}
	if err := json.Unmarshal(fmt.Appendf(nil, podTemplate, name, ns), p); err != nil {
		return nil, fmt.Errorf("pod template: %w", err)
	}
	return p, nil
}

// smallPod returns a minimal pod (-watch-small).
func smallPod(ns, name string) *core.Pod {
	return &core.Pod{
		ObjectMeta: meta.ObjectMeta{Name: name, Namespace: ns},
		Spec:       core.PodSpec{Containers: []core.Container{{Name: "c", Image: "registry.example.com/app:v1"}}},
	}
}
