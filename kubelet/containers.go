package kubelet

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/resource"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// sandboxConfig is the CRI sandbox of a pod: metadata and labels by which
// the kubelet finds it again, hostname, DNS, port mappings, log directory
// and namespaces.
func (k *Kubelet) sandboxConfig(pod *core.Pod, attempt uint32) *runtimeapi.PodSandboxConfig {
	labels := map[string]string{}
	for key, v := range pod.Labels {
		labels[key] = v
	}
	labels[LabelPodName], labels[LabelPodNamespace], labels[LabelPodUID] = pod.Name, pod.Namespace, pod.UID
	annotations := map[string]string{}
	for key, v := range pod.Annotations {
		annotations[key] = v
	}
	hostname := pod.Spec.Hostname
	if hostname == "" {
		hostname = pod.Name
	}
	if len(hostname) > 63 {
		hostname = strings.TrimRight(hostname[:63], "-.")
	}
	var ports []*runtimeapi.PortMapping
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort == 0 {
				continue
			}
			proto := runtimeapi.Protocol_TCP
			switch p.Protocol {
			case core.ProtocolUDP:
				proto = runtimeapi.Protocol_UDP
			case core.ProtocolSCTP:
				proto = runtimeapi.Protocol_SCTP
			}
			ports = append(ports, &runtimeapi.PortMapping{Protocol: proto, ContainerPort: p.ContainerPort, HostPort: p.HostPort, HostIp: p.HostIP})
		}
	}
	ns := &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_CONTAINER, Ipc: runtimeapi.NamespaceMode_POD}
	if pod.Spec.HostNetwork {
		ns.Network = runtimeapi.NamespaceMode_NODE
	}
	if pod.Spec.HostPID {
		ns.Pid = runtimeapi.NamespaceMode_NODE
	} else if pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace {
		ns.Pid = runtimeapi.NamespaceMode_POD
	}
	if pod.Spec.HostIPC {
		ns.Ipc = runtimeapi.NamespaceMode_NODE
	}
	return &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: pod.Name, Namespace: pod.Namespace, Uid: pod.UID, Attempt: attempt},
		Hostname:     hostname,
		LogDirectory: k.podLogDir(pod),
		DnsConfig:    k.dnsConfig(pod),
		PortMappings: ports,
		Labels:       labels,
		Annotations:  annotations,
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: ns},
		},
	}
}

// dnsConfig follows the pod's dnsPolicy: ClusterFirst uses the cluster DNS
// (when configured) with Kubernetes' search path and ndots:5; Default (and
// ClusterFirst without a cluster DNS, or a host-network pod) uses the
// node's resolv.conf; None uses only the pod's dnsConfig, which is merged
// in every case.
func (k *Kubelet) dnsConfig(pod *core.Pod) *runtimeapi.DNSConfig {
	d := &runtimeapi.DNSConfig{}
	policy := pod.Spec.DNSPolicy
	clusterFirst := (policy == core.DNSClusterFirst || policy == "") && !pod.Spec.HostNetwork ||
		policy == core.DNSClusterFirstWithHostNet
	switch {
	case policy == core.DNSNone:
	case clusterFirst && len(k.opts.ClusterDNS) > 0:
		dom := k.opts.ClusterDomain
		d.Servers = append(d.Servers, k.opts.ClusterDNS...)
		d.Searches = []string{pod.Namespace + ".svc." + dom, "svc." + dom, dom}
		d.Options = []string{"ndots:5"}
	default:
		d.Servers, d.Searches, d.Options = hostResolvConf("/etc/resolv.conf")
	}
	if c := pod.Spec.DNSConfig; c != nil {
		d.Servers = append(d.Servers, c.Nameservers...)
		d.Searches = append(d.Searches, c.Searches...)
		for _, o := range c.Options {
			if o.Value != nil {
				d.Options = append(d.Options, o.Name+":"+*o.Value)
			} else {
				d.Options = append(d.Options, o.Name)
			}
		}
	}
	return d
}

func hostResolvConf(path string) (servers, searches, options []string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fs := strings.Fields(s.Text())
		if len(fs) < 2 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		switch fs[0] {
		case "nameserver":
			servers = append(servers, fs[1])
		case "search", "domain":
			searches = append(searches, fs[1:]...)
		case "options":
			options = append(options, fs[1:]...)
		}
	}
	return servers, searches, options
}

// containerConfig builds the CRI container: command, environment, mounts,
// resources, labels by which the kubelet finds it again, and its log path
// <name>/<attempt>.log under the sandbox's log directory.
func (k *Kubelet) containerConfig(ctx context.Context, pod *core.Pod, c *core.Container, attempt uint32, imageRef string) (*runtimeapi.ContainerConfig, error) {
	env, err := k.containerEnv(ctx, pod, c)
	if err != nil {
		return nil, err
	}
	mounts, err := k.containerMounts(pod, c)
	if err != nil {
		return nil, err
	}
	envs := make([]*runtimeapi.KeyValue, 0, len(env))
	for _, e := range env {
		envs = append(envs, &runtimeapi.KeyValue{Key: e.Name, Value: []byte(e.Value)})
	}
	vars := map[string]string{}
	for _, e := range env {
		vars[e.Name] = e.Value
	}
	expand := func(in []string) []string {
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = expandVars(s, vars)
		}
		return out
	}
	labels := map[string]string{LabelPodName: pod.Name, LabelPodNamespace: pod.Namespace, LabelPodUID: pod.UID, LabelContainerName: c.Name}
	annotations := map[string]string{"io.kubernetes.container.restartCount": strconv.Itoa(int(attempt))}
	if imageRef == "" {
		imageRef = c.Image
	}
	sc := &runtimeapi.LinuxContainerSecurityContext{
		NamespaceOptions: k.sandboxConfig(pod, 0).Linux.SecurityContext.NamespaceOptions,
	}
	if s := c.SecurityContext; s != nil {
		if s.Privileged != nil {
			sc.Privileged = *s.Privileged
		}
		if s.RunAsUser != nil {
			sc.RunAsUser = &runtimeapi.Int64Value{Value: *s.RunAsUser}
		}
		if s.ReadOnlyRootFilesystem != nil {
			sc.ReadonlyRootfs = *s.ReadOnlyRootFilesystem
		}
		if s.Capabilities != nil {
			sc.Capabilities = &runtimeapi.Capability{}
			for _, a := range s.Capabilities.Add {
				sc.Capabilities.AddCapabilities = append(sc.Capabilities.AddCapabilities, string(a))
			}
			for _, d := range s.Capabilities.Drop {
				sc.Capabilities.DropCapabilities = append(sc.Capabilities.DropCapabilities, string(d))
			}
		}
	}
	return &runtimeapi.ContainerConfig{
		Metadata:    &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: attempt},
		Image:       &runtimeapi.ImageSpec{Image: imageRef, UserSpecifiedImage: c.Image},
		Command:     expand(c.Command),
		Args:        expand(c.Args),
		WorkingDir:  c.WorkingDir,
		Envs:        envs,
		Mounts:      mounts,
		Labels:      labels,
		Annotations: annotations,
		LogPath:     filepath.Join(c.Name, strconv.Itoa(int(attempt))+".log"),
		Stdin:       c.Stdin,
		StdinOnce:   c.StdinOnce,
		Tty:         c.TTY,
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources:       containerResources(pod, c, k.capacity().Memory()),
			SecurityContext: sc,
		},
	}, nil
}

// expandVars replaces $(NAME) with the variable's value, as Kubernetes
// does in command, args and env values; $$ escapes a dollar and unknown
// references stay as written.
func expandVars(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '(':
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
				name := s[i+2 : i+2+end]
				if v, ok := vars[name]; ok {
					b.WriteString(v)
					i += 2 + end
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// CPU and memory conversions, as Kubernetes' kubelet does them for cgroup
// v1.
const (
	minShares     = 2
	sharesPerCPU  = 1024
	quotaPeriodUs = 100000
	minQuotaUs    = 1000
)

// containerResources maps requests and limits to the CRI: cpu.shares from
// the cpu request (or the limit when there is no request), CFS quota from
// the cpu limit, the memory limit, and oom_score_adj from the QoS class.
func containerResources(pod *core.Pod, c *core.Container, nodeMemory resource.Quantity) *runtimeapi.LinuxContainerResources {
	r := &runtimeapi.LinuxContainerResources{}
	cpuReq, hasReq := c.Resources.Requests[core.ResourceCPU]
	cpuLim, hasLim := c.Resources.Limits[core.ResourceCPU]
	if !hasReq && hasLim {
		cpuReq, hasReq = cpuLim, true
	}
	shares := int64(minShares)
	if hasReq {
		shares = max(cpuReq.MilliValue()*sharesPerCPU/1000, minShares)
	}
	r.CpuShares = shares
	if hasLim {
		r.CpuPeriod = quotaPeriodUs
		r.CpuQuota = max(cpuLim.MilliValue()*quotaPeriodUs/1000, minQuotaUs)
	}
	if m, ok := c.Resources.Limits[core.ResourceMemory]; ok {
		r.MemoryLimitInBytes = m.Value()
	}
	switch QOSClass(pod) {
	case core.PodQOSGuaranteed:
		r.OomScoreAdj = -997
	case core.PodQOSBestEffort:
		r.OomScoreAdj = 1000
	default:
		adj := int64(1000)
		if m, ok := c.Resources.Requests[core.ResourceMemory]; ok && nodeMemory.Value() > 0 {
			adj = 1000 - 1000*m.Value()/nodeMemory.Value()
		}
		r.OomScoreAdj = min(max(adj, 2), 999)
	}
	return r
}

// QOSClass is Kubernetes' quality-of-service class of a pod: Guaranteed
// when every container has cpu and memory limits equal to its requests,
// BestEffort when none has any request or limit, else Burstable.
func QOSClass(pod *core.Pod) core.PodQOSClass {
	all := append(append([]core.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...)
	hasAny, guaranteed := false, true
	for _, c := range all {
		for _, n := range []core.ResourceName{core.ResourceCPU, core.ResourceMemory} {
			req, hasReq := c.Resources.Requests[n]
			lim, hasLim := c.Resources.Limits[n]
			if (hasReq && !req.IsZero()) || (hasLim && !lim.IsZero()) {
				hasAny = true
			}
			if !hasLim || lim.IsZero() || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !hasAny:
		return core.PodQOSBestEffort
	case guaranteed:
		return core.PodQOSGuaranteed
	}
	return core.PodQOSBurstable
}

// runHook runs a lifecycle handler against a container: exec through the
// runtime, an HTTP GET or a TCP connect to the pod, or a sleep.
func (k *Kubelet) runHook(ctx context.Context, pod *core.Pod, c *core.Container, id string, h *core.LifecycleHandler, grace int64) error {
	timeout := time.Duration(max(grace, 1)) * time.Second
	switch {
	case h.Exec != nil:
		resp, err := k.rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: h.Exec.Command, Timeout: int64(timeout / time.Second)})
		if err != nil {
			return err
		}
		if resp.ExitCode != 0 {
			return fmt.Errorf("exec hook exited %d: %s", resp.ExitCode, resp.Stderr)
		}
		return nil
	case h.HTTPGet != nil:
		u, err := httpURL(pod, c, h.HTTPGet, k.podIP(pod))
		if err != nil {
			return err
		}
		return httpCheck(ctx, k.podHTTP, u, h.HTTPGet.HTTPHeaders, timeout)
	case h.TCPSocket != nil:
		addr, err := tcpAddr(pod, c, h.TCPSocket, k.podIP(pod))
		if err != nil {
			return err
		}
		return k.tcpCheck(ctx, addr, timeout)
	case h.Sleep != nil:
		t := time.NewTimer(time.Duration(h.Sleep.Seconds) * time.Second)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// httpCheck GETs u and fails unless the answer is 2xx or 3xx.
func httpCheck(ctx context.Context, hc *http.Client, u string, headers []core.HTTPHeader, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "kube-probe/1.32")
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	}
	return nil
}

// tcpCheck opens a connection to addr through PodDialer and closes it.
func (k *Kubelet) tcpCheck(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := k.opts.PodDialer(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

// newPodHTTPClient returns the client of httpGet probes and hooks: it
// dials through dial, follows no redirects and keeps no idle connections,
// as Kubernetes' prober does.
func newPodHTTPClient(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	return &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil, DialContext: dial},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
