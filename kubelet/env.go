package kubelet

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver/client"
)

// containerEnv resolves a container's environment: service variables
// first, then envFrom, then env in order, each value with $(VAR) references to earlier variables
// expanded.
func (k *Kubelet) containerEnv(ctx context.Context, pod *core.Pod, c *core.Container) ([]core.EnvVar, error) {
	var out []core.EnvVar
	vars := map[string]string{}
	set := func(name, value string) {
		if _, ok := vars[name]; ok {
			for i := range out {
				if out[i].Name == name {
					out[i].Value = value
				}
			}
		} else {
			out = append(out, core.EnvVar{Name: name, Value: value})
		}
		vars[name] = value
	}
	svc, err := k.serviceEnv(ctx, pod)
	if err != nil {
		return nil, fmt.Errorf("service environment: %w", err)
	}
	for _, e := range svc {
		set(e.Name, e.Value)
	}
	for _, ef := range c.EnvFrom {
		var data map[string]string
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := k.configMap(ctx, pod.Namespace, ef.ConfigMapRef.Name)
			if err != nil {
				if optional(ef.ConfigMapRef.Optional) && apierror.IsNotFound(err) {
					continue
				}
				return nil, fmt.Errorf("configmap %q: %w", ef.ConfigMapRef.Name, err)
			}
			data = cm.Data
		case ef.SecretRef != nil:
			s, err := k.secret(ctx, pod.Namespace, ef.SecretRef.Name)
			if err != nil {
				if optional(ef.SecretRef.Optional) && apierror.IsNotFound(err) {
					continue
				}
				return nil, fmt.Errorf("secret %q: %w", ef.SecretRef.Name, err)
			}
			data = map[string]string{}
			for key, v := range s.Data {
				data[key] = string(v)
			}
		}
		for _, key := range sortedKeys(data) {
			set(ef.Prefix+key, data[key])
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expandVars(e.Value, vars))
			continue
		}
		vf := e.ValueFrom
		switch {
		case vf.FieldRef != nil:
			v, err := k.podField(pod, vf.FieldRef.FieldPath)
			if err != nil {
				return nil, err
			}
			set(e.Name, v)
		case vf.ResourceFieldRef != nil:
			v, err := resourceField(pod, c, vf.ResourceFieldRef, k.capacity())
			if err != nil {
				return nil, err
			}
			set(e.Name, v)
		case vf.ConfigMapKeyRef != nil:
			r := vf.ConfigMapKeyRef
			cm, err := k.configMap(ctx, pod.Namespace, r.Name)
			if err == nil {
				v, ok := cm.Data[r.Key]
				if ok {
					set(e.Name, v)
					continue
				}
				err = fmt.Errorf("couldn't find key %s in ConfigMap %s/%s", r.Key, pod.Namespace, r.Name)
				if optional(r.Optional) {
					continue
				}
			} else if optional(r.Optional) && apierror.IsNotFound(err) {
				continue
			}
			return nil, err
		case vf.SecretKeyRef != nil:
			r := vf.SecretKeyRef
			s, err := k.secret(ctx, pod.Namespace, r.Name)
			if err == nil {
				v, ok := s.Data[r.Key]
				if ok {
					set(e.Name, string(v))
					continue
				}
				err = fmt.Errorf("couldn't find key %s in Secret %s/%s", r.Key, pod.Namespace, r.Name)
				if optional(r.Optional) {
					continue
				}
			} else if optional(r.Optional) && apierror.IsNotFound(err) {
				continue
			}
			return nil, err
		}
	}
	return out, nil
}

func optional(b *bool) bool { return b != nil && *b }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func (k *Kubelet) configMap(ctx context.Context, ns, name string) (*core.ConfigMap, error) {
	r, err := client.For[*core.ConfigMap](k.c)
	if err != nil {
		return nil, err
	}
	return r.Namespace(ns).Get(ctx, name)
}

func (k *Kubelet) secret(ctx context.Context, ns, name string) (*core.Secret, error) {
	r, err := client.For[*core.Secret](k.c)
	if err != nil {
		return nil, err
	}
	return r.Namespace(ns).Get(ctx, name)
}

// podField is the downward API: metadata.name, metadata.namespace,
// metadata.uid, metadata.labels['k'], metadata.annotations['k'],
// spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs,
// status.podIP, status.podIPs.
func (k *Kubelet) podField(pod *core.Pod, path string) (string, error) {
	if key, ok := strings.CutPrefix(path, "metadata.labels['"); ok {
		return pod.Labels[strings.TrimSuffix(key, "']")], nil
	}
	if key, ok := strings.CutPrefix(path, "metadata.annotations['"); ok {
		return pod.Annotations[strings.TrimSuffix(key, "']")], nil
	}
	k.mu.Lock()
	hostIPs := k.hostIPs
	k.mu.Unlock()
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return pod.UID, nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP":
		if len(hostIPs) > 0 {
			return hostIPs[0], nil
		}
		return "", nil
	case "status.hostIPs":
		return strings.Join(hostIPs, ","), nil
	case "status.podIP":
		return k.podIP(pod), nil
	case "status.podIPs":
		return strings.Join(k.podIPs(pod), ","), nil
	}
	return "", fmt.Errorf("unsupported fieldPath %q", path)
}

func formatMap(m map[string]string) string {
	var b strings.Builder
	for i, key := range sortedKeys(m) {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s=%q", key, m[key])
	}
	return b.String()
}

// podIPs are the IPs of the pod's ready sandbox as its worker last saw
// them (the node's for a host-network pod).
func (k *Kubelet) podIPs(pod *core.Pod) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if pod.Spec.HostNetwork {
		return k.hostIPs
	}
	return k.ips[pod.UID]
}

func (k *Kubelet) podIP(pod *core.Pod) string {
	if ips := k.podIPs(pod); len(ips) > 0 {
		return ips[0]
	}
	return ""
}

// setPodIPs records the IPs of a pod's ready sandbox (nil: none).
func (k *Kubelet) setPodIPs(uid string, ips []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(ips) == 0 {
		delete(k.ips, uid)
		return
	}
	k.ips[uid] = ips
}

// resourceField is a container's limit or request in units of divisor:
// limits.cpu, limits.memory, limits.ephemeral-storage, requests.cpu,
// requests.memory, requests.ephemeral-storage. A missing limit is the
// node's allocatable, as in Kubernetes.
func resourceField(pod *core.Pod, c *core.Container, sel *core.ResourceFieldSelector, capacity core.ResourceList) (string, error) {
	if sel.ContainerName != "" {
		if sc := specContainer(pod, sel.ContainerName); sc != nil {
			c = sc
		}
	}
	kind, name, ok := strings.Cut(sel.Resource, ".")
	if !ok || (kind != "limits" && kind != "requests") {
		return "", fmt.Errorf("unsupported resource %q", sel.Resource)
	}
	rn := core.ResourceName(name)
	var q resource.Quantity
	var found bool
	if kind == "limits" {
		q, found = c.Resources.Limits[rn]
		if !found {
			q, found = capacity[rn]
		}
	} else {
		q, found = c.Resources.Requests[rn]
	}
	divisor := sel.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	if !found {
		return "0", nil
	}
	if rn == core.ResourceCPU {
		m, d := q.MilliValue(), divisor.MilliValue()
		return strconv.FormatInt((m+d-1)/d, 10), nil
	}
	v, d := q.Value(), divisor.Value()
	return strconv.FormatInt((v+d-1)/d, 10), nil
}

// portOf resolves a probe or hook port: a number, or the name of one of
// the container's ports.
func portOf(c *core.Container, p intstr.IntOrString) (int, error) {
	if p.Type == intstr.Int {
		return int(p.IntVal), nil
	}
	if c != nil {
		for _, cp := range c.Ports {
			if cp.Name == p.StrVal {
				return int(cp.ContainerPort), nil
			}
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("port %q not found", p.StrVal)
}

// httpURL is the URL of an httpGet action: the pod's IP unless host is
// set, the path as given.
func httpURL(pod *core.Pod, c *core.Container, h *core.HTTPGetAction, podIP string) (string, error) {
	port, err := portOf(c, h.Port)
	if err != nil {
		return "", err
	}
	host := h.Host
	if host == "" {
		host = podIP
	}
	if host == "" {
		return "", fmt.Errorf("pod %s/%s has no IP", pod.Namespace, pod.Name)
	}
	scheme := "http"
	if h.Scheme == core.URISchemeHTTPS {
		scheme = "https"
	}
	path := h.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port))}
	pu, err := url.Parse(path)
	if err != nil {
		return "", err
	}
	u.Path, u.RawQuery = pu.Path, pu.RawQuery
	return u.String(), nil
}

func tcpAddr(pod *core.Pod, c *core.Container, t *core.TCPSocketAction, podIP string) (string, error) {
	port, err := portOf(c, t.Port)
	if err != nil {
		return "", err
	}
	host := t.Host
	if host == "" {
		host = podIP
	}
	if host == "" {
		return "", fmt.Errorf("pod %s/%s has no IP", pod.Namespace, pod.Name)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}
