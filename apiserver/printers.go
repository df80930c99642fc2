package apiserver

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/longshore/longshore/api/apiextensions"
	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/coordination"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/networking"
	"github.com/longshore/longshore/api/rbac"
)

// The tables kubectl get prints for each built-in kind, with Kubernetes'
// column names and cell formats.

func col(name, typ, desc string) TableColumn {
	return TableColumn{Name: name, Type: typ, Description: desc}
}

func wide(c TableColumn) TableColumn { c.Priority = 1; return c }

// printer builds a Printer whose cells start with the name (when named) and
// end with the age.
func printer[T meta.Object](middle []TableColumn, cells func(o T, now time.Time) []any) *Printer {
	cols := append([]TableColumn{nameColumn}, middle...)
	return &Printer{
		Columns: cols,
		Cells: func(obj meta.Object, now time.Time) []any {
			o, ok := obj.(T)
			if !ok {
				return nil
			}
			return append([]any{obj.GetObjectMeta().Name}, cells(o, now)...)
		},
	}
}

func gvk(group, kind string) meta.GroupVersionKind {
	return meta.GroupVersionKind{Group: group, Version: "v1", Kind: kind}
}

func none(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func init() {
	printers[gvk("", "Pod")] = printer([]TableColumn{
		col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
		col("Status", "string", "The aggregate status of the containers in this pod."),
		col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
		ageColumn,
		wide(col("IP", "string", "IP address allocated to the pod.")),
		wide(col("Node", "string", "Name of the node the pod is assigned to.")),
		wide(col("Nominated Node", "string", "Name of the node the pod is nominated to.")),
		wide(col("Readiness Gates", "string", "Pod readiness gates.")),
	}, func(p *core.Pod, now time.Time) []any {
		ready, restarts, reason, lastRestart := podStatus(p)
		r := strconv.Itoa(int(restarts))
		if !lastRestart.IsZero() {
			r = fmt.Sprintf("%d (%s ago)", restarts, HumanDuration(now.Sub(lastRestart)))
		}
		gates := "<none>"
		if len(p.Spec.ReadinessGates) > 0 {
			gates = fmt.Sprintf("0/%d", len(p.Spec.ReadinessGates))
		}
		return []any{fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers)), reason, r, Age(p.CreationTimestamp, now),
			none(p.Status.PodIP), none(p.Spec.NodeName), none(p.Status.NominatedNodeName), gates}
	})
	printers[gvk("", "Namespace")] = printer([]TableColumn{
		col("Status", "string", "The status of the namespace"), ageColumn,
	}, func(n *core.Namespace, now time.Time) []any {
		return []any{string(n.Status.Phase), Age(n.CreationTimestamp, now)}
	})
	printers[gvk("", "Node")] = printer([]TableColumn{
		col("Status", "string", "The status of the node"), col("Roles", "string", "The roles of the node"), ageColumn,
		col("Version", "string", "Kubelet Version reported by the node."),
		wide(col("Internal-IP", "string", "List of internal IPs in the node.")), wide(col("External-IP", "string", "List of external IPs in the node.")),
		wide(col("OS-Image", "string", "OS image reported by the node.")), wide(col("Kernel-Version", "string", "Kernel version reported by the node.")),
		wide(col("Container-Runtime", "string", "Container runtime reported by the node.")),
	}, func(n *core.Node, now time.Time) []any {
		status := "Unknown"
		for _, c := range n.Status.Conditions {
			if c.Type == core.NodeReady {
				status = "NotReady"
				if c.Status == core.ConditionTrue {
					status = "Ready"
				}
			}
		}
		if n.Spec.Unschedulable {
			status += ",SchedulingDisabled"
		}
		var roles []string
		for k := range n.Labels {
			if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
				roles = append(roles, r)
			}
		}
		sort.Strings(roles)
		addr := func(t core.NodeAddressType) string {
			for _, a := range n.Status.Addresses {
				if a.Type == t {
					return a.Address
				}
			}
			return "<none>"
		}
		return []any{status, none(strings.Join(roles, ",")), Age(n.CreationTimestamp, now), n.Status.NodeInfo.KubeletVersion,
			addr(core.NodeInternalIP), addr(core.NodeExternalIP), n.Status.NodeInfo.OSImage, n.Status.NodeInfo.KernelVersion,
			n.Status.NodeInfo.ContainerRuntimeVersion}
	})
	printers[gvk("", "Service")] = printer([]TableColumn{
		col("Type", "string", "The type of the service."), col("Cluster-IP", "string", "The cluster IP of the service."),
		col("External-IP", "string", "The external IP of the service."), col("Port(s)", "string", "The ports of the service."),
		ageColumn, wide(col("Selector", "string", "The selector of the service.")),
	}, func(s *core.Service, now time.Time) []any {
		ports := make([]string, 0, len(s.Spec.Ports))
		for _, p := range s.Spec.Ports {
			v := strconv.Itoa(int(p.Port))
			if p.NodePort != 0 {
				v += ":" + strconv.Itoa(int(p.NodePort))
			}
			ports = append(ports, v+"/"+string(p.Protocol))
		}
		ext := "<none>"
		switch {
		case len(s.Spec.ExternalIPs) > 0:
			ext = strings.Join(s.Spec.ExternalIPs, ",")
		case s.Spec.Type == core.ServiceTypeLoadBalancer:
			ext = "<pending>"
			var ips []string
			for _, in := range s.Status.LoadBalancer.Ingress {
				if in.IP != "" {
					ips = append(ips, in.IP)
				} else if in.Hostname != "" {
					ips = append(ips, in.Hostname)
				}
			}
			if len(ips) > 0 {
				ext = strings.Join(ips, ",")
			}
		case s.Spec.Type == core.ServiceTypeExternalName:
			ext = s.Spec.ExternalName
		}
		cip := s.Spec.ClusterIP
		if cip == "" {
			cip = "<none>"
		}
		return []any{string(s.Spec.Type), cip, ext, none(strings.Join(ports, ",")), Age(s.CreationTimestamp, now),
			none(labels.Set(s.Spec.Selector).String())}
	})
	printers[gvk("", "Endpoints")] = printer([]TableColumn{
		col("Endpoints", "string", "Endpoints of the service"), ageColumn,
	}, func(e *core.Endpoints, now time.Time) []any {
		var list []string
		for _, ss := range e.Subsets {
			for _, a := range ss.Addresses {
				if len(ss.Ports) == 0 {
					list = append(list, a.IP)
				}
				for _, p := range ss.Ports {
					list = append(list, a.IP+":"+strconv.Itoa(int(p.Port)))
				}
			}
		}
		s := "<none>"
		if len(list) > 3 {
			s = strings.Join(list[:3], ",") + fmt.Sprintf(" + %d more...", len(list)-3)
		} else if len(list) > 0 {
			s = strings.Join(list, ",")
		}
		return []any{s, Age(e.CreationTimestamp, now)}
	})
	printers[gvk("", "ConfigMap")] = printer([]TableColumn{
		col("Data", "integer", "Number of data entries"), ageColumn,
	}, func(c *core.ConfigMap, now time.Time) []any {
		return []any{int64(len(c.Data) + len(c.BinaryData)), Age(c.CreationTimestamp, now)}
	})
	printers[gvk("", "Secret")] = printer([]TableColumn{
		col("Type", "string", "The type of the secret"), col("Data", "integer", "The number of data entries"), ageColumn,
	}, func(s *core.Secret, now time.Time) []any {
		return []any{string(s.Type), int64(len(s.Data)), Age(s.CreationTimestamp, now)}
	})
	printers[gvk("", "ServiceAccount")] = printer([]TableColumn{
		col("Secrets", "string", "The number of secrets"), ageColumn,
	}, func(s *core.ServiceAccount, now time.Time) []any {
		return []any{int64(len(s.Secrets)), Age(s.CreationTimestamp, now)}
	})
	printers[gvk("", "PersistentVolumeClaim")] = printer([]TableColumn{
		col("Status", "string", "The status of the claim"), col("Volume", "string", "The volume bound"),
		col("Capacity", "string", "The capacity"), col("Access Modes", "string", "The access modes"),
		col("StorageClass", "string", "The storage class"), ageColumn,
	}, func(c *core.PersistentVolumeClaim, now time.Time) []any {
		capacity := ""
		if q, ok := c.Status.Capacity[core.ResourceStorage]; ok {
			capacity = q.String()
		}
		sc := "<unset>"
		if c.Spec.StorageClassName != nil {
			sc = *c.Spec.StorageClassName
		}
		return []any{string(c.Status.Phase), c.Spec.VolumeName, capacity, accessModes(c.Status.AccessModes), sc, Age(c.CreationTimestamp, now)}
	})
	printers[gvk("", "PersistentVolume")] = printer([]TableColumn{
		col("Capacity", "string", "The capacity"), col("Access Modes", "string", "The access modes"),
		col("Reclaim Policy", "string", "The reclaim policy"), col("Status", "string", "The status"),
		col("Claim", "string", "The bound claim"), col("StorageClass", "string", "The storage class"),
		col("Reason", "string", "The reason"), ageColumn,
	}, func(v *core.PersistentVolume, now time.Time) []any {
		capacity := ""
		if q, ok := v.Spec.Capacity[core.ResourceStorage]; ok {
			capacity = q.String()
		}
		claim := ""
		if v.Spec.ClaimRef != nil {
			claim = v.Spec.ClaimRef.Namespace + "/" + v.Spec.ClaimRef.Name
		}
		return []any{capacity, accessModes(v.Spec.AccessModes), string(v.Spec.PersistentVolumeReclaimPolicy), string(v.Status.Phase),
			claim, v.Spec.StorageClassName, v.Status.Reason, Age(v.CreationTimestamp, now)}
	})
	printers[gvk("", "Event")] = &Printer{
		Columns: []TableColumn{
			col("Last Seen", "string", "Time when last this event was observed"), col("Type", "string", "Type of this event"),
			col("Reason", "string", "Reason why this event was generated"), col("Object", "string", "The object this event is about"),
			wide(col("Subobject", "string", "The subobject this event is about")), wide(col("Source", "string", "The source of this event")),
			col("Message", "string", "A human-readable description of the event"),
			wide(col("First Seen", "string", "The first time this event was observed")), wide(col("Count", "integer", "Number of occurrences")),
			wide(TableColumn{Name: "Name", Type: "string", Format: "name", Description: "Name of the event"}),
		},
		Cells: func(obj meta.Object, now time.Time) []any {
			e, ok := obj.(*core.Event)
			if !ok {
				return nil
			}
			last := e.LastTimestamp
			if last.IsZero() {
				last = meta.NewTime(e.EventTime.Time)
			}
			first := e.FirstTimestamp
			if first.IsZero() {
				first = meta.NewTime(e.EventTime.Time)
			}
			src := e.Source.Component
			if e.Source.Host != "" {
				src += ", " + e.Source.Host
			}
			return []any{Age(last, now), e.Type, e.Reason, strings.ToLower(e.InvolvedObject.Kind) + "/" + e.InvolvedObject.Name,
				e.InvolvedObject.FieldPath, src, strings.TrimSpace(e.Message), Age(first, now), int64(e.Count), e.Name}
		},
	}
	printers[gvk("apps", "Deployment")] = printer([]TableColumn{
		col("Ready", "string", "Number of the pod with ready state"), col("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
		col("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
		ageColumn, wide(col("Containers", "string", "Names of each container in the template.")),
		wide(col("Images", "string", "Images referenced by each container in the template.")), wide(col("Selector", "string", "Label selector for pods.")),
	}, func(d *apps.Deployment, now time.Time) []any {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		names, images := containers(d.Spec.Template.Spec.Containers)
		return []any{fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, want), int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas),
			Age(d.CreationTimestamp, now), names, images, selectorString(d.Spec.Selector)}
	})
	printers[gvk("apps", "ReplicaSet")] = printer([]TableColumn{
		col("Desired", "integer", "Number of desired pods."), col("Current", "integer", "Number of actual replicas."),
		col("Ready", "integer", "The number of ready replicas."), ageColumn,
		wide(col("Containers", "string", "Names of each container in the template.")), wide(col("Images", "string", "Images referenced by each container in the template.")),
		wide(col("Selector", "string", "Label selector for pods.")),
	}, func(r *apps.ReplicaSet, now time.Time) []any {
		want := int32(1)
		if r.Spec.Replicas != nil {
			want = *r.Spec.Replicas
		}
		names, images := containers(r.Spec.Template.Spec.Containers)
		return []any{int64(want), int64(r.Status.Replicas), int64(r.Status.ReadyReplicas), Age(r.CreationTimestamp, now), names, images, selectorString(r.Spec.Selector)}
	})
	printers[gvk("apps", "StatefulSet")] = printer([]TableColumn{
		col("Ready", "string", "Number of the pod with ready state"), ageColumn,
		wide(col("Containers", "string", "Names of each container in the template.")), wide(col("Images", "string", "Images referenced by each container in the template.")),
	}, func(s *apps.StatefulSet, now time.Time) []any {
		want := int32(1)
		if s.Spec.Replicas != nil {
			want = *s.Spec.Replicas
		}
		names, images := containers(s.Spec.Template.Spec.Containers)
		return []any{fmt.Sprintf("%d/%d", s.Status.ReadyReplicas, want), Age(s.CreationTimestamp, now), names, images}
	})
	printers[gvk("apps", "DaemonSet")] = printer([]TableColumn{
		col("Desired", "integer", "The total number of nodes that should be running the daemon pod."),
		col("Current", "integer", "The number of nodes running at least one daemon pod."),
		col("Ready", "integer", "The number of nodes that should be running the daemon pod and have one running and ready."),
		col("Up-to-date", "integer", "The total number of nodes that are running the updated daemon pod."),
		col("Available", "integer", "The number of nodes that should be running the daemon pod and have one available."),
		col("Node Selector", "string", "NodeSelector of the daemon pods."), ageColumn,
		wide(col("Containers", "string", "Names of each container in the template.")), wide(col("Images", "string", "Images referenced by each container in the template.")),
		wide(col("Selector", "string", "Label selector for pods.")),
	}, func(d *apps.DaemonSet, now time.Time) []any {
		names, images := containers(d.Spec.Template.Spec.Containers)
		return []any{int64(d.Status.DesiredNumberScheduled), int64(d.Status.CurrentNumberScheduled), int64(d.Status.NumberReady),
			int64(d.Status.UpdatedNumberScheduled), int64(d.Status.NumberAvailable), none(labels.Set(d.Spec.Template.Spec.NodeSelector).String()),
			Age(d.CreationTimestamp, now), names, images, selectorString(d.Spec.Selector)}
	})
	printers[gvk("apps", "ControllerRevision")] = printer([]TableColumn{
		col("Controller", "string", "Controller of the object."), col("Revision", "integer", "Revision of the ControllerRevision."), ageColumn,
	}, func(c *apps.ControllerRevision, now time.Time) []any {
		owner := "<none>"
		if ref := meta.GetControllerOf(&c.ObjectMeta); ref != nil {
			owner = strings.ToLower(ref.Kind) + "." + ref.APIVersion + "/" + ref.Name
			if g, _, ok := strings.Cut(ref.APIVersion, "/"); ok {
				owner = strings.ToLower(ref.Kind) + "." + g + "/" + ref.Name
			}
		}
		return []any{owner, c.Revision, Age(c.CreationTimestamp, now)}
	})
	printers[gvk("coordination.k8s.io", "Lease")] = printer([]TableColumn{
		col("Holder", "string", "The holder of the lease."), ageColumn,
	}, func(l *coordination.Lease, now time.Time) []any {
		holder := ""
		if l.Spec.HolderIdentity != nil {
			holder = *l.Spec.HolderIdentity
		}
		return []any{holder, Age(l.CreationTimestamp, now)}
	})
	printers[gvk("networking.k8s.io", "NetworkPolicy")] = printer([]TableColumn{
		col("Pod-Selector", "string", "A label selector of the pods this policy applies to."), ageColumn,
	}, func(n *networking.NetworkPolicy, now time.Time) []any {
		return []any{none(selectorString(&n.Spec.PodSelector)), Age(n.CreationTimestamp, now)}
	})
	createdAt := col("Created At", "date", "Time when the object was created.")
	printers[gvk("rbac.authorization.k8s.io", "Role")] = printer([]TableColumn{createdAt}, func(r *rbac.Role, _ time.Time) []any {
		return []any{r.CreationTimestamp.UTC().Format(time.RFC3339)}
	})
	printers[gvk("rbac.authorization.k8s.io", "ClusterRole")] = printer([]TableColumn{createdAt}, func(r *rbac.ClusterRole, _ time.Time) []any {
		return []any{r.CreationTimestamp.UTC().Format(time.RFC3339)}
	})
	bindingCols := []TableColumn{col("Role", "string", "The role the binding refers to."), ageColumn,
		wide(col("Users", "string", "Users bound.")), wide(col("Groups", "string", "Groups bound.")), wide(col("ServiceAccounts", "string", "Service accounts bound."))}
	printers[gvk("rbac.authorization.k8s.io", "RoleBinding")] = printer(bindingCols, func(b *rbac.RoleBinding, now time.Time) []any {
		u, g, s := subjects(b.Subjects)
		return []any{b.RoleRef.Kind + "/" + b.RoleRef.Name, Age(b.CreationTimestamp, now), u, g, s}
	})
	printers[gvk("rbac.authorization.k8s.io", "ClusterRoleBinding")] = printer(bindingCols, func(b *rbac.ClusterRoleBinding, now time.Time) []any {
		u, g, s := subjects(b.Subjects)
		return []any{b.RoleRef.Kind + "/" + b.RoleRef.Name, Age(b.CreationTimestamp, now), u, g, s}
	})
	printers[gvk(apiextensions.GroupName, "CustomResourceDefinition")] = printer([]TableColumn{createdAt}, func(c *apiextensions.CustomResourceDefinition, _ time.Time) []any {
		return []any{c.CreationTimestamp.UTC().Format(time.RFC3339)}
	})
}

// podStatus computes the READY count, RESTARTS, the STATUS reason and the
// time of the last restart, as kubectl shows them.
func podStatus(p *core.Pod) (ready, restarts int32, reason string, lastRestart time.Time) {
	reason = string(p.Status.Phase)
	if p.Status.Reason != "" {
		reason = p.Status.Reason
	}
	initializing := false
	for i, c := range p.Status.InitContainerStatuses {
		restarts += c.RestartCount
		switch {
		case c.State.Terminated != nil && c.State.Terminated.ExitCode == 0:
			continue
		case c.State.Terminated != nil:
			if c.State.Terminated.Reason == "" {
				reason = fmt.Sprintf("Init:ExitCode:%d", c.State.Terminated.ExitCode)
			} else {
				reason = "Init:" + c.State.Terminated.Reason
			}
		case c.State.Waiting != nil && c.State.Waiting.Reason != "" && c.State.Waiting.Reason != "PodInitializing":
			reason = "Init:" + c.State.Waiting.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(p.Spec.InitContainers))
		}
		initializing = true
		break
	}
	if !initializing {
		hasRunning := false
		for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
			c := p.Status.ContainerStatuses[i]
			restarts += c.RestartCount
			if t := c.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(lastRestart) {
				lastRestart = t.FinishedAt.Time
			}
			switch {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				reason = c.State.Waiting.Reason
			case c.State.Terminated != nil && c.State.Terminated.Reason != "":
				reason = c.State.Terminated.Reason
			case c.State.Terminated != nil:
				if c.State.Terminated.Signal != 0 {
					reason = fmt.Sprintf("Signal:%d", c.State.Terminated.Signal)
				} else {
					reason = fmt.Sprintf("ExitCode:%d", c.State.Terminated.ExitCode)
				}
			case c.Ready && c.State.Running != nil:
				hasRunning = true
				ready++
			}
		}
		if reason == "Completed" && hasRunning {
			reason = "Running"
		}
	}
	if p.DeletionTimestamp != nil {
		reason = "Terminating"
	}
	return ready, restarts, reason, lastRestart
}

func containers(cs []core.Container) (names, images string) {
	n := make([]string, 0, len(cs))
	im := make([]string, 0, len(cs))
	for _, c := range cs {
		n = append(n, c.Name)
		im = append(im, c.Image)
	}
	return strings.Join(n, ","), strings.Join(im, ",")
}

func selectorString(sel *meta.LabelSelector) string {
	if sel == nil {
		return "<none>"
	}
	s, err := labels.FromLabelSelector(sel)
	if err != nil {
		return "<error>"
	}
	if s.Empty() {
		return "<none>"
	}
	return s.String()
}

func accessModes(modes []core.PersistentVolumeAccessMode) string {
	short := map[core.PersistentVolumeAccessMode]string{"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
	out := make([]string, 0, len(modes))
	for _, m := range modes {
		if s, ok := short[m]; ok {
			out = append(out, s)
		}
	}
	return strings.Join(out, ",")
}

func subjects(ss []rbac.Subject) (users, groups, sas string) {
	var u, g, s []string
	for _, sub := range ss {
		switch sub.Kind {
		case rbac.UserKind:
			u = append(u, sub.Name)
		case rbac.GroupKind:
			g = append(g, sub.Name)
		case rbac.ServiceAccountKind:
			s = append(s, sub.Namespace+"/"+sub.Name)
		}
	}
	return strings.Join(u, ", "), strings.Join(g, ", "), strings.Join(s, ", ")
}
