package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// ErrNoClient is returned by ClientPodWriter without a client.
var ErrNoClient = errors.New("no API client configured")

// ClientPodWriter writes pods through the API client: deletions with the
// pod's UID as precondition and its own grace period, and nominations as
// a merge patch of the status subresource.
type ClientPodWriter struct {
	Client *client.Client
}

var _ PodWriter = (*ClientPodWriter)(nil)

// DeletePod implements PodWriter.
func (w *ClientPodWriter) DeletePod(ctx context.Context, pod *core.Pod) error {
	if w.Client == nil {
		return fmt.Errorf("delete pod %s: %w", PodKey(pod), ErrNoClient)
	}
	pods, err := client.For[*core.Pod](w.Client)
	if err != nil {
		return fmt.Errorf("delete pod %s: %w", PodKey(pod), err)
	}
	opts := &meta.DeleteOptions{GracePeriodSeconds: pod.Spec.TerminationGracePeriodSeconds}
	if pod.UID != "" {
		uid := string(pod.UID)
		opts.Preconditions = &meta.Preconditions{UID: &uid}
	}
	if err := pods.Namespace(pod.Namespace).Delete(ctx, pod.Name, opts); err != nil {
		return fmt.Errorf("delete pod %s: %w", PodKey(pod), err)
	}
	return nil
}

// SetNominatedNodeName implements PodWriter.
func (w *ClientPodWriter) SetNominatedNodeName(ctx context.Context, pod *core.Pod, nodeName string) error {
	if w.Client == nil {
		return fmt.Errorf("nominate pod %s: %w", PodKey(pod), ErrNoClient)
	}
	pods, err := client.For[*core.Pod](w.Client)
	if err != nil {
		return fmt.Errorf("nominate pod %s: %w", PodKey(pod), err)
	}
	var v any = nodeName
	if nodeName == "" {
		v = nil
	}
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"nominatedNodeName": v}})
	if _, err := pods.Namespace(pod.Namespace).Patch(ctx, pod.Name, client.MergePatch, patch, client.WriteOptions{}, "status"); err != nil {
		return fmt.Errorf("nominate pod %s: %w", PodKey(pod), err)
	}
	return nil
}
