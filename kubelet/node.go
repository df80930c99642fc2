package kubelet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/resource"
	"github.com/longshore/longshore/apiserver/client"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// NodeLeaseNamespace holds the nodes' heartbeat Leases.
const NodeLeaseNamespace = "kube-node-lease"

// KubeletVersion is reported in nodeInfo.kubeletVersion.
const KubeletVersion = "v1.32.0-longshore"

// Pressure is the node's resource pressure, reported as the
// MemoryPressure, DiskPressure and PIDPressure conditions.
type Pressure struct {
	Memory, Disk, PID bool
}

// MachinePressure reads the machine: memory pressure below 100 MiB
// available (Kubernetes' default hard eviction threshold), disk pressure
// below 10 % free on the file system of dir, PID pressure above 90 % of
// pid_max processes.
func MachinePressure(dir string) Pressure {
	var p Pressure
	if mi := meminfo(); mi["MemAvailable"] > 0 {
		p.Memory = mi["MemAvailable"] < 100<<20
	}
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) == nil && st.Blocks > 0 {
		p.Disk = float64(st.Bavail)/float64(st.Blocks) < 0.10
	}
	if max, err := readInt("/proc/sys/kernel/pid_max"); err == nil && max > 0 {
		if ents, err := os.ReadDir("/proc"); err == nil {
			n := 0
			for _, e := range ents {
				if _, err := strconv.Atoi(e.Name()); err == nil {
					n++
				}
			}
			p.PID = float64(n) > 0.9*float64(max)
		}
	}
	return p
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// meminfo returns /proc/meminfo in bytes.
func meminfo() map[string]int64 {
	m := map[string]int64{}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return m
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil {
			continue
		}
		if len(fs) > 1 && fs[1] == "kB" {
			n <<= 10
		}
		m[k] = n
	}
	return m
}

// capacity returns the node's capacity: the configured values over what
// the machine has.
func (k *Kubelet) capacity() core.ResourceList {
	c := core.ResourceList{
		core.ResourceCPU:  resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		core.ResourcePods: resource.NewQuantity(110, resource.DecimalSI),
	}
	if mt := meminfo()["MemTotal"]; mt > 0 {
		c[core.ResourceMemory] = resource.NewQuantity(mt, resource.BinarySI)
	}
	var st unix.Statfs_t
	if unix.Statfs(k.opts.RootDir, &st) == nil {
		c[core.ResourceEphemeralStorage] = resource.NewQuantity(int64(st.Blocks)*st.Bsize, resource.BinarySI)
	}
	for n, q := range k.opts.Capacity {
		c[n] = q
	}
	return c
}

// allocatable is capacity minus the reserved amounts (never negative).
func allocatable(capacity, reserved core.ResourceList) core.ResourceList {
	a := core.ResourceList{}
	for n, q := range capacity {
		if r, ok := reserved[n]; ok {
			q.Sub(r)
			if q.Sign() < 0 {
				q = resource.Quantity{}
			}
		}
		a[n] = q
	}
	return a
}

// addresses are the configured addresses or the machine's first
// non-loopback IPv4 (else 127.0.0.1) and its hostname.
func (k *Kubelet) addresses() []core.NodeAddress {
	if len(k.opts.Addresses) > 0 {
		return k.opts.Addresses
	}
	ip := "127.0.0.1"
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				ip = n.IP.String()
				break
			}
		}
	}
	return []core.NodeAddress{{Type: core.NodeInternalIP, Address: ip}, {Type: core.NodeHostName, Address: k.opts.NodeName}}
}

// nodeIPs are the node's InternalIP addresses, the pods' hostIPs.
func nodeIPs(addrs []core.NodeAddress) []string {
	var ips []string
	for _, a := range addrs {
		if a.Type == core.NodeInternalIP {
			ips = append(ips, a.Address)
		}
	}
	return ips
}

func (k *Kubelet) initialNode() *core.Node {
	labels := map[string]string{
		LabelHostname: k.opts.NodeName,
		LabelOS:       runtime.GOOS,
		LabelArch:     runtime.GOARCH,
	}
	for key, v := range k.opts.Labels {
		labels[key] = v
	}
	return &core.Node{
		ObjectMeta: meta.ObjectMeta{Name: k.opts.NodeName, Labels: labels},
		Spec:       core.NodeSpec{Taints: k.opts.Taints},
	}
}

// registerNode creates the Node, or adopts an existing one (a restarted
// kubelet), setting the kubelet's labels on it, then writes its status.
func (k *Kubelet) registerNode(ctx context.Context) error {
	want := k.initialNode()
	node, err := k.nodes.Create(ctx, want, client.WriteOptions{})
	if apierror.IsAlreadyExists(err) {
		node, err = k.nodes.Get(ctx, k.opts.NodeName)
		if err == nil {
			changed := false
			if node.Labels == nil {
				node.Labels = map[string]string{}
			}
			for key, v := range want.Labels {
				if node.Labels[key] != v {
					node.Labels[key] = v
					changed = true
				}
			}
			if changed {
				node, err = k.nodes.Update(ctx, node, client.WriteOptions{})
			}
		}
	}
	if err != nil {
		return fmt.Errorf("kubelet: register node: %w", err)
	}
	k.mu.Lock()
	k.hostIPs = nodeIPs(k.addresses())
	k.mu.Unlock()
	if _, err := k.updateNodeStatus(ctx, node, true); err != nil {
		return fmt.Errorf("kubelet: register node: %w", err)
	}
	return nil
}

// nodeStatus computes the status the node should report; conditions keep
// their transition time while their status holds.
func (k *Kubelet) nodeStatus(ctx context.Context, old *core.NodeStatus) core.NodeStatus {
	capacity := k.capacity()
	now := meta.Now()
	p := k.opts.Pressure(ctx)
	ready, readyReason, readyMsg := core.ConditionTrue, "KubeletReady", "kubelet is posting ready status"
	if st, err := k.rt.Status(ctx, &runtimeapi.StatusRequest{}); err != nil {
		ready, readyReason, readyMsg = core.ConditionFalse, "KubeletNotReady", "container runtime is down: "+err.Error()
	} else {
		for _, c := range st.GetStatus().GetConditions() {
			if (c.Type == runtimeapi.RuntimeReady || c.Type == runtimeapi.NetworkReady) && !c.Status {
				ready, readyReason = core.ConditionFalse, "KubeletNotReady"
				readyMsg = fmt.Sprintf("container runtime not ready: %s=false reason:%s message:%s", c.Type, c.Reason, c.Message)
			}
		}
	}
	cond := func(t core.NodeConditionType, bad bool, yesReason, yesMsg, noReason, noMsg string) core.NodeCondition {
		c := core.NodeCondition{Type: t, Status: core.ConditionFalse, Reason: noReason, Message: noMsg, LastHeartbeatTime: now, LastTransitionTime: now}
		if bad {
			c.Status, c.Reason, c.Message = core.ConditionTrue, yesReason, yesMsg
		}
		return c
	}
	conds := []core.NodeCondition{
		cond(core.NodeMemoryPressure, p.Memory, "KubeletHasInsufficientMemory", "kubelet has insufficient memory available", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
		cond(core.NodeDiskPressure, p.Disk, "KubeletHasDiskPressure", "kubelet has disk pressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
		cond(core.NodePIDPressure, p.PID, "KubeletHasInsufficientPID", "kubelet has insufficient PID available", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
		{Type: core.NodeReady, Status: ready, Reason: readyReason, Message: readyMsg, LastHeartbeatTime: now, LastTransitionTime: now},
	}
	if old != nil {
		for i := range conds {
			for _, oc := range old.Conditions {
				if oc.Type == conds[i].Type && oc.Status == conds[i].Status && !oc.LastTransitionTime.IsZero() {
					conds[i].LastTransitionTime = oc.LastTransitionTime
				}
			}
		}
	}
	var osImage, kernel string
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		kernel = unix.ByteSliceToString(uts.Release[:])
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				osImage = strings.Trim(v, `"`)
			}
		}
	}
	machineID, _ := os.ReadFile("/etc/machine-id")
	bootID, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return core.NodeStatus{
		Capacity:        capacity,
		Allocatable:     allocatable(capacity, k.opts.Reserved),
		Conditions:      conds,
		Addresses:       k.addresses(),
		DaemonEndpoints: core.NodeDaemonEndpoints{KubeletEndpoint: core.DaemonEndpoint{Port: k.opts.KubeletPort}},
		NodeInfo: core.NodeSystemInfo{
			MachineID:               strings.TrimSpace(string(machineID)),
			BootID:                  strings.TrimSpace(string(bootID)),
			KernelVersion:           kernel,
			OSImage:                 osImage,
			ContainerRuntimeVersion: k.runtimeName + "://" + k.runtimeVersion,
			KubeletVersion:          KubeletVersion,
			OperatingSystem:         runtime.GOOS,
			Architecture:            runtime.GOARCH,
		},
		Images: k.nodeImages(ctx),
	}
}

// nodeImages lists the runtime's images, largest first, at most 50 as
// Kubernetes reports.
func (k *Kubelet) nodeImages(ctx context.Context) []core.ContainerImage {
	resp, err := k.img.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		return nil
	}
	var out []core.ContainerImage
	for _, im := range resp.GetImages() {
		names := append(append([]string{}, im.GetRepoTags()...), im.GetRepoDigests()...)
		if len(names) == 0 {
			continue
		}
		out = append(out, core.ContainerImage{Names: names, SizeBytes: int64(im.GetSize())})
	}
	if len(out) > 50 {
		out = out[:50]
	}
	return out
}

// sameNodeStatus compares two statuses ignoring heartbeat times.
func sameNodeStatus(a, b *core.NodeStatus) bool {
	strip := func(s *core.NodeStatus) []byte {
		c := *s
		c.Conditions = append([]core.NodeCondition(nil), s.Conditions...)
		for i := range c.Conditions {
			c.Conditions[i].LastHeartbeatTime = meta.Time{}
		}
		b, _ := json.Marshal(c)
		return b
	}
	return bytes.Equal(strip(a), strip(b))
}

// updateNodeStatus writes the node's status if it changed or force is set.
// It returns whether it wrote.
func (k *Kubelet) updateNodeStatus(ctx context.Context, node *core.Node, force bool) (bool, error) {
	for attempt := 0; attempt < 3; attempt++ {
		if node == nil {
			var err error
			if node, err = k.nodes.Get(ctx, k.opts.NodeName); err != nil {
				return false, err
			}
		}
		st := k.nodeStatus(ctx, &node.Status)
		if !force && sameNodeStatus(&st, &node.Status) {
			k.mu.Lock()
			k.node = node
			k.mu.Unlock()
			return false, nil
		}
		n := node.DeepCopyObject().(*core.Node)
		n.Status = st
		out, err := k.nodes.UpdateStatus(ctx, n, client.WriteOptions{})
		if apierror.IsConflict(err) {
			node = nil
			continue
		}
		if err != nil {
			return false, err
		}
		k.mu.Lock()
		k.node = out
		k.mu.Unlock()
		return true, nil
	}
	return false, fmt.Errorf("kubelet: node status: too many conflicts")
}

// renewLease creates or renews the node's Lease. It updates the lease it
// wrote last (one request per renewal) and reads the server's copy only
// when that fails.
func (k *Kubelet) renewLease(ctx context.Context) error {
	leases, err := client.For[*coordination.Lease](k.c)
	if err != nil {
		return err
	}
	leases = leases.Namespace(NodeLeaseNamespace)
	now := meta.NowMicro()
	dur := int32(k.opts.LeaseDuration / time.Second)
	if dur < 1 {
		dur = 1
	}
	holder := k.opts.NodeName
	k.mu.Lock()
	l := k.lease
	node := k.node
	k.mu.Unlock()
	if l == nil {
		l, err = leases.Get(ctx, k.opts.NodeName)
		if apierror.IsNotFound(err) {
			l = &coordination.Lease{ObjectMeta: meta.ObjectMeta{Name: k.opts.NodeName, Namespace: NodeLeaseNamespace},
				Spec: coordination.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur, RenewTime: &now}}
			if node != nil && node.UID != "" {
				l.OwnerReferences = []meta.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}}
			}
			l, err = leases.Create(ctx, l, client.WriteOptions{})
			k.setLease(l, err)
			return err
		}
		if err != nil {
			return err
		}
	}
	l = l.DeepCopyObject().(*coordination.Lease)
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &holder, &dur, &now
	l, err = leases.Update(ctx, l, client.WriteOptions{})
	k.setLease(l, err)
	return err
}

// setLease remembers the lease written last, or forgets it after an error
// (the next renewal reads the server's copy).
func (k *Kubelet) setLease(l *coordination.Lease, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		k.lease = nil
		return
	}
	k.lease = l
}

// heartbeat renews the lease and updates the node status on their
// periods until ctx is done.
func (k *Kubelet) heartbeat(ctx context.Context) {
	if err := k.renewLease(ctx); err != nil && ctx.Err() == nil {
		k.log.Warn("renew lease", "err", err)
	}
	lease := time.NewTicker(k.opts.LeaseRenewInterval)
	defer lease.Stop()
	status := time.NewTicker(k.opts.NodeStatusUpdateFrequency)
	defer status.Stop()
	lastReport := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-lease.C:
			if err := k.renewLease(ctx); err != nil && ctx.Err() == nil {
				k.log.Warn("renew lease", "err", err)
			}
		case <-status.C:
			k.mu.Lock()
			node := k.node
			k.mu.Unlock()
			force := time.Since(lastReport) >= k.opts.NodeStatusReportFrequency
			wrote, err := k.updateNodeStatus(ctx, node, force)
			if err != nil && ctx.Err() == nil {
				k.log.Warn("update node status", "err", err)
			}
			if wrote {
				lastReport = time.Now()
			}
		}
	}
}
