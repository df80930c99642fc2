package plugins

import (
	"context"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/scheduler/framework"
)

// ImageLocality thresholds, as in Kubernetes: images below 23 MiB in
// total do not count, and the score saturates at 1000 MiB per container.
const (
	mb                         int64 = 1024 * 1024
	imageMinThreshold                = 23 * mb
	imageMaxContainerThreshold       = 1000 * mb
)

// ImageLocality favours nodes that already have the pod's images, weighing
// each image's size by the share of nodes that have it (so an image on
// every node does not make one node look better).
type ImageLocality struct {
	h framework.Handle
}

var (
	_ framework.ScorePlugin    = (*ImageLocality)(nil)
	_ framework.NodeInfoScorer = (*ImageLocality)(nil)
)

// NewImageLocality is ImageLocality's factory.
func NewImageLocality(_ context.Context, _ any, h framework.Handle) (framework.Plugin, error) {
	return &ImageLocality{h: h}, nil
}

// Name implements framework.Plugin.
func (*ImageLocality) Name() string { return framework.ImageLocalityName }

// Score implements framework.ScorePlugin.
func (pl *ImageLocality) Score(ctx context.Context, state *framework.CycleState, pod *core.Pod, nodeName string) (int64, *framework.Status) {
	ni, st := nodeInfoFor(pl.h, nodeName)
	if st != nil {
		return 0, st
	}
	return pl.ScoreNodeInfo(ctx, state, pod, ni)
}

// ScoreNodeInfo implements framework.NodeInfoScorer: Score without
// the lookup of the node.
func (pl *ImageLocality) ScoreNodeInfo(_ context.Context, _ *framework.CycleState, pod *core.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	nodes, err := pl.h.SnapshotSharedLister().NodeInfos().List()
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var sum int64
	containers := len(pod.Spec.InitContainers) + len(pod.Spec.Containers)
	add := func(cs []core.Container) {
		for _, c := range cs {
			if s, ok := ni.ImageStates[framework.NormalizeImageName(c.Image)]; ok {
				sum += int64(float64(s.Size) * float64(s.NumNodes) / float64(len(nodes)))
			}
		}
	}
	add(pod.Spec.InitContainers)
	add(pod.Spec.Containers)
	maxThreshold := imageMaxContainerThreshold * int64(containers)
	sum = max(imageMinThreshold, min(sum, maxThreshold))
	if maxThreshold <= imageMinThreshold {
		return 0, nil
	}
	return framework.MaxNodeScore * (sum - imageMinThreshold) / (maxThreshold - imageMinThreshold), nil
}

// ScoreExtensions implements framework.ScorePlugin.
func (*ImageLocality) ScoreExtensions() framework.ScoreExtensions { return nil }
