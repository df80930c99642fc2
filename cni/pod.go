package cni

import (
	"fmt"
	"time"

	"github.com/containernetworking/cni/libcni"
)

// DefaultIfName is the interface name inside the pod when Pod.IfName is "".
const DefaultIfName = "eth0"

// Pod identifies one attachment of a pod sandbox to the network.
type Pod struct {
	// ID is the sandbox (infra container) ID; it keys the attachment.
	ID string
	// Namespace, Name and UID are passed to plugins as K8S_POD_* args.
	Namespace string
	Name      string
	UID       string
	// NetnsPath is the pod's network namespace (see package netns). It may
	// be "" or gone for Detach.
	NetnsPath string
	// IfName is the interface to create in the pod; "" means DefaultIfName.
	IfName string
	// Capabilities are runtime values for plugins that declare them.
	Capabilities Capabilities
}

// Capabilities carries the runtimeConfig values of the CNI conventions;
// libcni passes each one only to plugins whose "capabilities" ask for it.
type Capabilities struct {
	// PortMappings ("portMappings"), used by the portmap plugin.
	PortMappings []PortMapping
	// Bandwidth ("bandwidth"), used by the bandwidth plugin; nil means none.
	Bandwidth *Bandwidth
}

// PortMapping maps a host port to a pod port.
type PortMapping struct {
	HostPort      int32
	ContainerPort int32
	// Protocol is "tcp", "udp" or "sctp"; "" means tcp.
	Protocol string
	// HostIP limits the mapping to one host address; "" means all.
	HostIP string
}

// Bandwidth limits a pod's traffic, in bits per second and bits.
type Bandwidth struct {
	IngressRate, IngressBurst int64
	EgressRate, EgressBurst   int64
}

func (p Pod) ifName() string {
	if p.IfName == "" {
		return DefaultIfName
	}
	return p.IfName
}

func (p Pod) validate() error {
	if p.ID == "" {
		return fmt.Errorf("%w: empty ID", ErrInvalidPod)
	}
	return nil
}

// runtimeConf builds libcni's per-call arguments.
func (p Pod) runtimeConf(netns string) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{
		ContainerID: p.ID,
		NetNS:       netns,
		IfName:      p.ifName(),
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", p.Namespace},
			{"K8S_POD_NAME", p.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", p.ID},
			{"K8S_POD_UID", p.UID},
		},
		CapabilityArgs: map[string]any{},
	}
	if len(p.Capabilities.PortMappings) > 0 {
		pm := make([]map[string]any, 0, len(p.Capabilities.PortMappings))
		for _, m := range p.Capabilities.PortMappings {
			proto := m.Protocol
			if proto == "" {
				proto = "tcp"
			}
			e := map[string]any{"hostPort": m.HostPort, "containerPort": m.ContainerPort, "protocol": proto}
			if m.HostIP != "" {
				e["hostIP"] = m.HostIP
			}
			pm = append(pm, e)
		}
		rt.CapabilityArgs["portMappings"] = pm
	}
	if b := p.Capabilities.Bandwidth; b != nil {
		rt.CapabilityArgs["bandwidth"] = map[string]any{
			"ingressRate": b.IngressRate, "ingressBurst": b.IngressBurst,
			"egressRate": b.EgressRate, "egressBurst": b.EgressBurst,
		}
	}
	return rt
}

// cleanupTimeout bounds the DEL that undoes a failed ADD.
const cleanupTimeout = 30 * time.Second
