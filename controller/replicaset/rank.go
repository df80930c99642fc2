package replicaset

import (
	"sort"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/controller/internal/podutil"
)

// podsToDelete picks n pods to delete in Kubernetes' order: unscheduled
// before scheduled, Pending before Unknown before Running, not ready
// before ready, pods on nodes crowded with this set's pods before others,
// ready for less time before longer, more restarts before fewer, newer
// before older.
func podsToDelete(pods []*core.Pod, n int) []*core.Pod {
	perNode := map[string]int{}
	for _, p := range pods {
		if p.Spec.NodeName != "" {
			perNode[p.Spec.NodeName]++
		}
	}
	sorted := append([]*core.Pod(nil), pods...)
	sort.SliceStable(sorted, func(i, j int) bool { return deleteFirst(sorted[i], sorted[j], perNode) })
	if n > len(sorted) {
		n = len(sorted)
	}
	return sorted[:n]
}

var phaseRank = map[core.PodPhase]int{core.PodPending: 0, core.PodUnknown: 1, core.PodRunning: 2}

func restarts(p *core.Pod) int32 {
	var n int32
	for _, c := range p.Status.ContainerStatuses {
		n = max(n, c.RestartCount)
	}
	return n
}

// deleteFirst reports whether a should be deleted before b.
func deleteFirst(a, b *core.Pod, perNode map[string]int) bool {
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if pa, pb := phaseRank[a.Status.Phase], phaseRank[b.Status.Phase]; pa != pb {
		return pa < pb
	}
	ra, rb := podutil.IsReady(a), podutil.IsReady(b)
	if ra != rb {
		return !ra
	}
	if na, nb := perNode[a.Spec.NodeName], perNode[b.Spec.NodeName]; na != nb {
		return na > nb
	}
	if ra && rb {
		ta, tb := podutil.ReadyCondition(a).LastTransitionTime, podutil.ReadyCondition(b).LastTransitionTime
		if !ta.Equal(tb.Time) {
			return ta.After(tb.Time)
		}
	}
	if xa, xb := restarts(a), restarts(b); xa != xb {
		return xa > xb
	}
	if !a.CreationTimestamp.Equal(b.CreationTimestamp.Time) {
		return a.CreationTimestamp.After(b.CreationTimestamp.Time)
	}
	return a.Name < b.Name
}
