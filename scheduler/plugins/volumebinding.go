package plugins

import (
	"context"
	"errors"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// VolumeBinding's reasons, as Kubernetes words them.
const (
	ReasonUnboundImmediateClaims = "pod has unbound immediate PersistentVolumeClaims"
	ReasonVolumeNodeConflict     = "node(s) had volume node affinity conflict"
)

// VolumeBinding checks a pod's PersistentVolumeClaims: a pod whose claims
// are missing, being deleted, or not yet bound is rejected at PreFilter
// (it is retried when claims change), and nodes outside the node affinity
// of the bound PersistentVolumes are filtered out. It does not bind or
// provision volumes itself (delayed WaitForFirstConsumer binding is not
// implemented: the API has no StorageClass yet).
type VolumeBinding struct {
	h framework.Handle
}

var (
	_ framework.PreFilterPlugin = (*VolumeBinding)(nil)
	_ framework.FilterPlugin    = (*VolumeBinding)(nil)
)

// NewVolumeBinding is VolumeBinding's factory.
func NewVolumeBinding(_ context.Context, _ any, h framework.Handle) (framework.Plugin, error) {
	return &VolumeBinding{h: h}, nil
}

// Name implements framework.Plugin.
func (*VolumeBinding) Name() string { return framework.VolumeBindingName }

const volumeBindingKey framework.StateKey = "PreFilter" + framework.StateKey(framework.VolumeBindingName)

type volumeBindingState struct{ pvs []*core.PersistentVolume }

func (s *volumeBindingState) Clone() framework.StateData { return s }

// PreFilter implements framework.PreFilterPlugin; pods without claims
// skip the Filter.
func (pl *VolumeBinding) PreFilter(_ context.Context, state *framework.CycleState, pod *core.Pod) (*framework.PreFilterResult, *framework.Status) {
	vl := pl.h.SnapshotSharedLister().Volumes()
	s := &volumeBindingState{}
	claims := 0
	unbound := false
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		claims++
		name := v.PersistentVolumeClaim.ClaimName
		pvc, err := vl.PersistentVolumeClaim(pod.Namespace, name)
		if errors.Is(err, framework.ErrNotFound) {
			return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q not found", name))
		}
		if err != nil {
			return nil, framework.AsStatus(err)
		}
		if pvc.DeletionTimestamp != nil {
			return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q is being deleted", name))
		}
		if pvc.Spec.VolumeName == "" {
			unbound = true
			continue
		}
		pv, err := vl.PersistentVolume(pvc.Spec.VolumeName)
		if errors.Is(err, framework.ErrNotFound) {
			return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolume %q not found", pvc.Spec.VolumeName))
		}
		if err != nil {
			return nil, framework.AsStatus(err)
		}
		s.pvs = append(s.pvs, pv)
	}
	if claims == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	if unbound {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonUnboundImmediateClaims)
	}
	state.Write(volumeBindingKey, s)
	return nil, nil
}

// PreFilterExtensions implements framework.PreFilterPlugin.
func (*VolumeBinding) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// Filter implements framework.FilterPlugin: every bound volume's node
// affinity must match the node.
func (pl *VolumeBinding) Filter(_ context.Context, state *framework.CycleState, _ *core.Pod, ni *framework.NodeInfo) *framework.Status {
	node := ni.Node()
	if node == nil {
		return framework.AsStatus(fmt.Errorf("invalid nodeInfo: %w", framework.ErrNotFound))
	}
	s, err := framework.ReadAs[*volumeBindingState](state, volumeBindingKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	for _, pv := range s.pvs {
		if pv.Spec.NodeAffinity != nil && pv.Spec.NodeAffinity.Required != nil && !matchNodeSelector(pv.Spec.NodeAffinity.Required, node) {
			return framework.NewStatus(framework.UnschedulableAndUnresolvable, ReasonVolumeNodeConflict)
		}
	}
	return nil
}
