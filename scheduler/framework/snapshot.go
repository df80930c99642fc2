package framework

import (
	"fmt"
	"slices"
	"sort"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
)

// NodeInfoLister reads the nodes of a snapshot.
type NodeInfoLister interface {
	// List returns every node, in a stable order.
	List() ([]*NodeInfo, error)
	// HavePodsWithAffinityList returns the nodes with at least one pod
	// that has pod affinity or anti-affinity.
	HavePodsWithAffinityList() ([]*NodeInfo, error)
	// HavePodsWithRequiredAntiAffinityList returns the nodes with at
	// least one pod that has required anti-affinity.
	HavePodsWithRequiredAntiAffinityList() ([]*NodeInfo, error)
	// Get returns the node, or an error wrapping ErrNotFound.
	Get(nodeName string) (*NodeInfo, error)
}

// VolumeLister reads the claims and volumes of a snapshot.
type VolumeLister interface {
	// PersistentVolumeClaim returns the claim, or an error wrapping
	// ErrNotFound.
	PersistentVolumeClaim(namespace, name string) (*core.PersistentVolumeClaim, error)
	// PersistentVolume returns the volume, or an error wrapping
	// ErrNotFound.
	PersistentVolume(name string) (*core.PersistentVolume, error)
}

// WorkloadLister reads the objects that group pods, for the system
// default spreading of PodTopologySpread.
type WorkloadLister interface {
	Services(namespace string) []*core.Service
	ReplicaSets(namespace string) []*apps.ReplicaSet
	StatefulSets(namespace string) []*apps.StatefulSet
}

// SharedLister is the read-only view of the cluster a cycle runs against.
type SharedLister interface {
	NodeInfos() NodeInfoLister
	Volumes() VolumeLister
	Workloads() WorkloadLister
}

// Snapshot is an immutable view of the nodes, their pods, and the volume
// objects, taken at the start of a scheduling cycle. The scheduler's cache
// refreshes one Snapshot in place between cycles; tests and simulations
// build one with NewSnapshot.
type Snapshot struct {
	// index is the position of each node in nodeInfoList; it is replaced,
	// never modified, so readers of an older one stay consistent.
	index                         map[string]int
	imageCounts                   map[string]int
	nodeInfoList                  []*NodeInfo
	havePodsWithAffinity          []*NodeInfo
	havePodsWithRequiredAntiAffin []*NodeInfo
	pvcs                          map[string]*core.PersistentVolumeClaim
	pvs                           map[string]*core.PersistentVolume
	services                      map[string][]*core.Service
	replicaSets                   map[string][]*apps.ReplicaSet
	statefulSets                  map[string][]*apps.StatefulSet
	// domainIndex holds the DomainCounts asked for, kept up to date by
	// UpdateNodeInfos.
	domainIndex domainIndex
	// Generation is the cache generation the snapshot was taken at.
	Generation int64
}

var _ SharedLister = (*Snapshot)(nil)

// NewSnapshot builds a snapshot of nodes with pods placed on them by
// spec.nodeName; pods on unknown nodes are ignored. Image states count on
// how many nodes each image is.
func NewSnapshot(pods []*core.Pod, nodes []*core.Node) *Snapshot {
	infos := make(map[string]*NodeInfo, len(nodes))
	for _, n := range nodes {
		ni := NewNodeInfo()
		ni.SetNode(n)
		infos[n.Name] = ni
	}
	for _, p := range pods {
		if ni, ok := infos[p.Spec.NodeName]; ok {
			pi, _ := NewPodInfo(p)
			ni.AddPodInfo(pi)
		}
	}
	s := &Snapshot{}
	s.SetNodeInfos(infos)
	return s
}

// SetNodeInfos replaces the snapshot's nodes; infos is kept, not copied.
// It recounts images across nodes and rebuilds the lists, which are
// sorted by node name.
func (s *Snapshot) SetNodeInfos(infos map[string]*NodeInfo) {
	// A fresh slice: a binding cycle of the previous pod may still be
	// reading the old one.
	s.nodeInfoList = make([]*NodeInfo, 0, len(infos))
	s.havePodsWithAffinity = nil
	s.havePodsWithRequiredAntiAffin = nil
	s.resetDomainCounts()
	counts := map[string]int{}
	for _, ni := range infos {
		if ni.Node() == nil {
			continue
		}
		s.nodeInfoList = append(s.nodeInfoList, ni)
		for name := range ni.ImageStates {
			counts[name]++
		}
	}
	sort.Slice(s.nodeInfoList, func(i, j int) bool { return s.nodeInfoList[i].NodeName() < s.nodeInfoList[j].NodeName() })
	s.imageCounts = counts
	s.index = make(map[string]int, len(s.nodeInfoList))
	for i, ni := range s.nodeInfoList {
		s.index[ni.NodeName()] = i
		for name, st := range ni.ImageStates {
			st.NumNodes = counts[name]
		}
		if len(ni.PodsWithAffinity) > 0 {
			s.havePodsWithAffinity = append(s.havePodsWithAffinity, ni)
		}
		if len(ni.PodsWithRequiredAntiAffinity) > 0 {
			s.havePodsWithRequiredAntiAffin = append(s.havePodsWithRequiredAntiAffin, ni)
		}
	}
}

// UpdateNodeInfos replaces the infos of nodes already in the snapshot
// (changes of their pods, not of the node objects) without rebuilding
// it: the list is copied with the new infos in place, so readers of the
// previous list are unaffected, image counts are kept, and the affinity
// lists are rebuilt, and the DomainCounts recount the pods of the
// changed nodes. Infos without a node are ignored. It returns false,
// changing nothing, when a node is not in the snapshot: the caller then
// calls SetNodeInfos.
func (s *Snapshot) UpdateNodeInfos(changed map[string]*NodeInfo) bool {
	for name, ni := range changed {
		if _, ok := s.index[name]; !ok && ni.Node() != nil {
			return false
		}
	}
	list := slices.Clone(s.nodeInfoList)
	old := make([]*NodeInfo, 0, len(changed))
	cur := make([]*NodeInfo, 0, len(changed))
	for name, ni := range changed {
		if ni.Node() == nil {
			continue
		}
		i := s.index[name]
		old, cur = append(old, list[i]), append(cur, ni)
		list[i] = ni
		for img, st := range ni.ImageStates {
			st.NumNodes = s.imageCounts[img]
		}
	}
	s.nodeInfoList = list
	s.updateDomainCounts(old, cur)
	s.havePodsWithAffinity = nil
	s.havePodsWithRequiredAntiAffin = nil
	for _, ni := range list {
		if len(ni.PodsWithAffinity) > 0 {
			s.havePodsWithAffinity = append(s.havePodsWithAffinity, ni)
		}
		if len(ni.PodsWithRequiredAntiAffinity) > 0 {
			s.havePodsWithRequiredAntiAffin = append(s.havePodsWithRequiredAntiAffin, ni)
		}
	}
	return true
}

// SetVolumes replaces the claims and volumes the snapshot serves.
func (s *Snapshot) SetVolumes(pvcs []*core.PersistentVolumeClaim, pvs []*core.PersistentVolume) {
	s.pvcs = make(map[string]*core.PersistentVolumeClaim, len(pvcs))
	for _, c := range pvcs {
		s.pvcs[c.Namespace+"/"+c.Name] = c
	}
	s.pvs = make(map[string]*core.PersistentVolume, len(pvs))
	for _, v := range pvs {
		s.pvs[v.Name] = v
	}
}

// SetWorkloads replaces the services, replica sets and stateful sets the
// snapshot serves.
func (s *Snapshot) SetWorkloads(services []*core.Service, rss []*apps.ReplicaSet, sss []*apps.StatefulSet) {
	s.services = map[string][]*core.Service{}
	for _, o := range services {
		s.services[o.Namespace] = append(s.services[o.Namespace], o)
	}
	s.replicaSets = map[string][]*apps.ReplicaSet{}
	for _, o := range rss {
		s.replicaSets[o.Namespace] = append(s.replicaSets[o.Namespace], o)
	}
	s.statefulSets = map[string][]*apps.StatefulSet{}
	for _, o := range sss {
		s.statefulSets[o.Namespace] = append(s.statefulSets[o.Namespace], o)
	}
}

// Workloads returns the workload lister.
func (s *Snapshot) Workloads() WorkloadLister { return snapshotWorkloads{s} }

type snapshotWorkloads struct{ s *Snapshot }

func (l snapshotWorkloads) Services(ns string) []*core.Service         { return l.s.services[ns] }
func (l snapshotWorkloads) ReplicaSets(ns string) []*apps.ReplicaSet   { return l.s.replicaSets[ns] }
func (l snapshotWorkloads) StatefulSets(ns string) []*apps.StatefulSet { return l.s.statefulSets[ns] }

// NodeInfos returns the node lister.
func (s *Snapshot) NodeInfos() NodeInfoLister { return snapshotNodes{s} }

// Volumes returns the volume lister.
func (s *Snapshot) Volumes() VolumeLister { return snapshotVolumes{s} }

// NumNodes returns the number of nodes.
func (s *Snapshot) NumNodes() int { return len(s.nodeInfoList) }

type snapshotNodes struct{ s *Snapshot }

func (l snapshotNodes) List() ([]*NodeInfo, error) { return l.s.nodeInfoList, nil }
func (l snapshotNodes) HavePodsWithAffinityList() ([]*NodeInfo, error) {
	return l.s.havePodsWithAffinity, nil
}
func (l snapshotNodes) HavePodsWithRequiredAntiAffinityList() ([]*NodeInfo, error) {
	return l.s.havePodsWithRequiredAntiAffin, nil
}
func (l snapshotNodes) Get(name string) (*NodeInfo, error) {
	if i, ok := l.s.index[name]; ok {
		return l.s.nodeInfoList[i], nil
	}
	return nil, fmt.Errorf("node %q: %w", name, ErrNotFound)
}

type snapshotVolumes struct{ s *Snapshot }

func (l snapshotVolumes) PersistentVolumeClaim(ns, name string) (*core.PersistentVolumeClaim, error) {
	if c, ok := l.s.pvcs[ns+"/"+name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("persistentvolumeclaim %s/%s: %w", ns, name, ErrNotFound)
}

func (l snapshotVolumes) PersistentVolume(name string) (*core.PersistentVolume, error) {
	if v, ok := l.s.pvs[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("persistentvolume %q: %w", name, ErrNotFound)
}
