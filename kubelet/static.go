package kubelet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// Annotations of static pods and their mirror pods, as in Kubernetes.
const (
	AnnotationConfigMirror = "kubernetes.io/config.mirror"
	AnnotationConfigHash   = "kubernetes.io/config.hash"
	AnnotationConfigSource = "kubernetes.io/config.source"
)

// readStaticPods decodes every *.yaml, *.yml and *.json manifest of dir
// into a pod named <name>-<node>, bound to the node, with a UID that is
// the hash of its manifest (so an edited file is a new pod).
func (k *Kubelet) readStaticPods(dir string) (map[string]*core.Pod, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]*core.Pod{}
	for _, e := range ents {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		var p core.Pod
		if err := yaml.Unmarshal(data, &p); err != nil {
			k.log.Warn("bad static pod manifest", "file", e.Name(), "err", err)
			continue
		}
		if p.Name == "" || len(p.Spec.Containers) == 0 {
			k.log.Warn("bad static pod manifest", "file", e.Name(), "err", "name and containers are required")
			continue
		}
		core.SetDefaultsPod(&p)
		if p.Namespace == "" {
			p.Namespace = "default"
		}
		sum := sha256.Sum256(append(append([]byte(k.opts.NodeName+"\x00"), data...), e.Name()...))
		hash := hex.EncodeToString(sum[:16])
		p.Name = p.Name + "-" + k.opts.NodeName
		p.UID = hash
		p.Spec.NodeName = k.opts.NodeName
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[AnnotationConfigHash] = hash
		p.Annotations[AnnotationConfigSource] = "file"
		p.CreationTimestamp = meta.Now()
		out[hash] = &p
	}
	return out, nil
}

// syncStaticPods starts workers for new manifests, stops those whose file
// is gone or changed, and keeps a mirror pod in the API for each.
func (k *Kubelet) syncStaticPods(ctx context.Context) {
	if k.opts.StaticPodPath == "" {
		return
	}
	want, err := k.readStaticPods(k.opts.StaticPodPath)
	if err != nil {
		k.log.Debug("read static pods", "err", err)
		return
	}
	k.mu.Lock()
	var stale []*podWorker
	for uid, w := range k.workers {
		if w.static && want[uid] == nil {
			stale = append(stale, w)
		}
	}
	k.mu.Unlock()
	for _, w := range stale {
		w.mu.Lock()
		w.gone = true
		w.mu.Unlock()
		w.kick()
	}
	uids := make([]string, 0, len(want))
	for uid := range want {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	for _, uid := range uids {
		p := want[uid]
		k.mu.Lock()
		_, running := k.workers[uid]
		k.mu.Unlock()
		if !running {
			k.startStatic(ctx, p)
		}
		k.ensureMirror(ctx, p)
	}
}

func (k *Kubelet) startStatic(ctx context.Context, p *core.Pod) {
	k.mu.Lock()
	defer k.mu.Unlock()
	w := newPodWorker(p)
	w.static = true
	if r := k.admit(p); r != nil {
		w.rejection = r
	} else {
		k.admitted[p.UID] = p
	}
	k.workers[p.UID] = w
	k.wg.Add(1)
	go k.runWorker(ctx, w)
	w.kick()
}

// mirrorOf returns the API's mirror pod of a static pod, if it is current.
func (k *Kubelet) mirrorOf(p *core.Pod) (*core.Pod, bool) {
	m, ok := k.podInf.Get(p.Namespace, p.Name)
	if !ok || m.Annotations[AnnotationConfigMirror] != p.UID || m.DeletionTimestamp != nil {
		return m, false
	}
	return m, true
}

// ensureMirror creates the static pod's mirror in the API, replacing an
// outdated one.
func (k *Kubelet) ensureMirror(ctx context.Context, p *core.Pod) {
	if !k.podInf.HasSynced() {
		return
	}
	m, current := k.mirrorOf(p)
	if current {
		return
	}
	pods := k.pods.Namespace(p.Namespace)
	if m != nil {
		// An outdated mirror, or one a user deleted (which waits for the
		// kubelet to confirm): remove it now; a new one is created on a
		// later pass, once the informer saw the delete.
		uid := m.UID
		zero := int64(0)
		if err := pods.Delete(ctx, m.Name, &meta.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &meta.Preconditions{UID: &uid}}); err != nil && !apierror.IsNotFound(err) && !apierror.IsConflict(err) {
			k.log.Warn("delete outdated mirror pod", "pod", p.Namespace+"/"+p.Name, "err", err)
		}
		return
	}
	mirror := p.DeepCopyObject().(*core.Pod)
	mirror.UID, mirror.ResourceVersion, mirror.CreationTimestamp = "", "", meta.Time{}
	mirror.Annotations[AnnotationConfigMirror] = p.UID
	mirror.Status = core.PodStatus{}
	if _, err := pods.Create(ctx, mirror, client.WriteOptions{}); err != nil && !apierror.IsAlreadyExists(err) {
		k.log.Warn("create mirror pod", "pod", p.Namespace+"/"+p.Name, "err", err)
	}
}

// deleteMirror removes the mirror pod of a static pod that stopped.
func (k *Kubelet) deleteMirror(ctx context.Context, p *core.Pod) error {
	m, ok := k.mirrorOf(p)
	if !ok {
		return nil
	}
	uid := m.UID
	zero := int64(0)
	err := k.pods.Namespace(p.Namespace).Delete(ctx, m.Name, &meta.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &meta.Preconditions{UID: &uid}})
	if err != nil && !apierror.IsNotFound(err) && !apierror.IsConflict(err) {
		return fmt.Errorf("delete mirror pod: %w", err)
	}
	return nil
}

func isMirror(p *core.Pod) bool {
	_, ok := p.Annotations[AnnotationConfigMirror]
	return ok
}
