package kubelet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// volumeDir is where a pod's volume lives on the node:
// <RootDir>/pods/<uid>/volumes/<name>.
func (k *Kubelet) volumeDir(uid, name string) string {
	return filepath.Join(k.podDir(uid), "volumes", name)
}

// setupVolumes prepares every volume of the pod: emptyDir (a directory,
// or tmpfs for medium Memory), hostPath (checked against its type),
// configMap, secret and downwardAPI (files written atomically). It is
// idempotent and also refreshes the contents of configMap, secret and
// downwardAPI volumes.
func (k *Kubelet) setupVolumes(ctx context.Context, pod *core.Pod) error {
	for i := range pod.Spec.Volumes {
		if err := k.setupVolume(ctx, pod, &pod.Spec.Volumes[i]); err != nil {
			return fmt.Errorf("volume %q: %w", pod.Spec.Volumes[i].Name, err)
		}
	}
	return nil
}

func (k *Kubelet) setupVolume(ctx context.Context, pod *core.Pod, v *core.Volume) error {
	dir := k.volumeDir(pod.UID, v.Name)
	switch {
	case v.EmptyDir != nil:
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			return err
		}
		if v.EmptyDir.Medium == core.StorageMediumMemory && !isMountPoint(dir) {
			opts := "mode=0777"
			if v.EmptyDir.SizeLimit != nil && !v.EmptyDir.SizeLimit.IsZero() {
				opts += ",size=" + strconv.FormatInt(v.EmptyDir.SizeLimit.Value(), 10)
			}
			if err := unix.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
				return fmt.Errorf("mount tmpfs: %w", err)
			}
		}
	case v.HostPath != nil:
		return checkHostPath(v.HostPath)
	case v.ConfigMap != nil:
		cm, err := k.configMap(ctx, pod.Namespace, v.ConfigMap.Name)
		if err != nil {
			if apierror.IsNotFound(err) && optional(v.ConfigMap.Optional) {
				return writeAtomic(dir, nil)
			}
			return fmt.Errorf("configmap %q: %w", v.ConfigMap.Name, err)
		}
		files, err := keyFiles(stringData(cm.Data, cm.BinaryData), v.ConfigMap.Items, v.ConfigMap.DefaultMode, optional(v.ConfigMap.Optional))
		if err != nil {
			return err
		}
		return writeAtomic(dir, files)
	case v.Secret != nil:
		s, err := k.secret(ctx, pod.Namespace, v.Secret.SecretName)
		if err != nil {
			if apierror.IsNotFound(err) && optional(v.Secret.Optional) {
				return writeAtomic(dir, nil)
			}
			return fmt.Errorf("secret %q: %w", v.Secret.SecretName, err)
		}
		files, err := keyFiles(s.Data, v.Secret.Items, v.Secret.DefaultMode, optional(v.Secret.Optional))
		if err != nil {
			return err
		}
		return writeAtomic(dir, files)
	case v.DownwardAPI != nil:
		files, err := k.downwardFiles(pod, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode)
		if err != nil {
			return err
		}
		return writeAtomic(dir, files)
	case v.Projected != nil:
		files, err := k.projectedFiles(ctx, pod, v.Projected)
		if err != nil {
			return err
		}
		return writeAtomic(dir, files)
	default:
		return errors.New("unsupported volume type (emptyDir, hostPath, configMap, secret, downwardAPI and projected are supported)")
	}
	return nil
}

func isMountPoint(dir string) bool {
	var a, b unix.Stat_t
	if unix.Stat(dir, &a) != nil || unix.Stat(filepath.Dir(dir), &b) != nil {
		return false
	}
	return a.Dev != b.Dev
}

func checkHostPath(h *core.HostPathVolumeSource) error {
	t := core.HostPathUnset
	if h.Type != nil {
		t = *h.Type
	}
	fi, err := os.Stat(h.Path)
	switch t {
	case core.HostPathUnset:
		return nil
	case core.HostPathDirectoryOrCreate:
		if os.IsNotExist(err) {
			return os.MkdirAll(h.Path, 0o755)
		}
	case core.HostPathFileOrCreate:
		if os.IsNotExist(err) {
			if err := os.MkdirAll(filepath.Dir(h.Path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(h.Path, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("hostPath type check failed: %s is not a %s", h.Path, t)
	}
	ok := true
	switch t {
	case core.HostPathDirectory, core.HostPathDirectoryOrCreate:
		ok = fi.IsDir()
	case core.HostPathFile, core.HostPathFileOrCreate:
		ok = fi.Mode().IsRegular()
	case core.HostPathSocket:
		ok = fi.Mode()&os.ModeSocket != 0
	case core.HostPathCharDev:
		ok = fi.Mode()&os.ModeCharDevice != 0
	case core.HostPathBlockDev:
		ok = fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0
	}
	if !ok {
		return fmt.Errorf("hostPath type check failed: %s is not a %s", h.Path, t)
	}
	return nil
}

func stringData(data map[string]string, binary map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(data)+len(binary))
	for key, v := range data {
		out[key] = []byte(v)
	}
	for key, v := range binary {
		out[key] = v
	}
	return out
}

const os0644 = os.FileMode(0o644)

func fileMode(m int32) os.FileMode { return os.FileMode(m) & os.ModePerm }

// volumeFile is one file of a projected volume.
type volumeFile struct {
	data []byte
	mode os.FileMode
}

// keyFiles maps keys to files: every key under its own name, or only the
// listed items under their paths.
func keyFiles(data map[string][]byte, items []core.KeyToPath, defaultMode *int32, opt bool) (map[string]volumeFile, error) {
	mode := os.FileMode(0o644)
	if defaultMode != nil {
		mode = os.FileMode(*defaultMode)
	}
	files := map[string]volumeFile{}
	if len(items) == 0 {
		for key, v := range data {
			files[key] = volumeFile{v, mode}
		}
		return files, nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if opt {
				continue
			}
			return nil, fmt.Errorf("key %q not found", it.Key)
		}
		m := mode
		if it.Mode != nil {
			m = os.FileMode(*it.Mode)
		}
		files[it.Path] = volumeFile{v, m}
	}
	return files, nil
}

func (k *Kubelet) downwardFiles(pod *core.Pod, items []core.DownwardAPIVolumeFile, defaultMode *int32) (map[string]volumeFile, error) {
	mode := os.FileMode(0o644)
	if defaultMode != nil {
		mode = os.FileMode(*defaultMode)
	}
	files := map[string]volumeFile{}
	for _, it := range items {
		var v string
		var err error
		switch {
		case it.FieldRef != nil:
			v, err = k.podField(pod, it.FieldRef.FieldPath)
		case it.ResourceFieldRef != nil:
			var c *core.Container
			if len(pod.Spec.Containers) > 0 {
				c = &pod.Spec.Containers[0]
			}
			v, err = resourceField(pod, c, it.ResourceFieldRef, k.capacity())
		}
		if err != nil {
			return nil, err
		}
		m := mode
		if it.Mode != nil {
			m = os.FileMode(*it.Mode)
		}
		files[it.Path] = volumeFile{[]byte(v), m}
	}
	return files, nil
}

// writeAtomic publishes files in dir the way Kubernetes' atomic writer
// does: the payload goes into a fresh timestamped directory, a "..data"
// symlink is swapped to it with a rename (readers see either the old or
// the new set, never a mix), each top-level name is a symlink through
// ..data, and the previous payload directory is removed. Unchanged
// payloads are left alone.
func writeAtomic(dir string, files map[string]volumeFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for p := range files {
		if filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
			return fmt.Errorf("invalid path %q", p)
		}
	}
	dataLink := filepath.Join(dir, "..data")
	old, _ := os.Readlink(dataLink)
	if old != "" && sameFiles(filepath.Join(dir, old), files) {
		return nil
	}
	tsDir, err := os.MkdirTemp(dir, ".."+time.Now().UTC().Format("2006_01_02_15_04_05."))
	if err != nil {
		return err
	}
	if err := os.Chmod(tsDir, 0o755); err != nil {
		return err
	}
	for p, f := range files {
		full := filepath.Join(tsDir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, f.data, f.mode); err != nil {
			return err
		}
		if err := os.Chmod(full, f.mode); err != nil {
			return err
		}
	}
	tmpLink := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(tsDir), tmpLink); err != nil {
		return err
	}
	if err := os.Rename(tmpLink, dataLink); err != nil {
		return err
	}
	// Top-level entries point through ..data.
	top := map[string]bool{}
	for p := range files {
		top[strings.Split(filepath.ToSlash(filepath.Clean(p)), "/")[0]] = true
	}
	for name := range top {
		link := filepath.Join(dir, name)
		if target, err := os.Readlink(link); err == nil && target == filepath.Join("..data", name) {
			continue
		}
		_ = os.RemoveAll(link)
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			return err
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "..") {
			if n != "..data" && n != filepath.Base(tsDir) {
				_ = os.RemoveAll(filepath.Join(dir, n))
			}
			continue
		}
		if !top[n] {
			_ = os.RemoveAll(filepath.Join(dir, n))
		}
	}
	return nil
}

// sameFiles reports whether dir holds exactly files.
func sameFiles(dir string, files map[string]volumeFile) bool {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel, _ := filepath.Rel(dir, p)
		f, ok := files[rel]
		if !ok {
			return errors.New("extra")
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != string(f.data) {
			return errors.New("differs")
		}
		if fi, err := d.Info(); err != nil || fi.Mode().Perm() != f.mode.Perm() {
			return errors.New("mode differs")
		}
		return nil
	})
	return err == nil && n == len(files)
}

// containerMounts maps the container's volumeMounts to CRI mounts of the
// volumes' node directories (subPath joined under them).
func (k *Kubelet) containerMounts(pod *core.Pod, c *core.Container) ([]*runtimeapi.Mount, error) {
	var out []*runtimeapi.Mount
	for _, vm := range c.VolumeMounts {
		var vol *core.Volume
		for i := range pod.Spec.Volumes {
			if pod.Spec.Volumes[i].Name == vm.Name {
				vol = &pod.Spec.Volumes[i]
			}
		}
		if vol == nil {
			return nil, fmt.Errorf("volume %q not found", vm.Name)
		}
		host := k.volumeDir(pod.UID, vol.Name)
		readOnly := vm.ReadOnly
		switch {
		case vol.HostPath != nil:
			host = vol.HostPath.Path
		case vol.ConfigMap != nil, vol.Secret != nil, vol.DownwardAPI != nil, vol.Projected != nil:
			readOnly = true
		}
		if vm.SubPath != "" {
			if filepath.IsAbs(vm.SubPath) || strings.HasPrefix(filepath.Clean(vm.SubPath), "..") {
				return nil, fmt.Errorf("invalid subPath %q", vm.SubPath)
			}
			host = filepath.Join(host, vm.SubPath)
			if vol.EmptyDir != nil {
				if err := os.MkdirAll(host, 0o777); err != nil {
					return nil, err
				}
			}
		}
		prop := runtimeapi.MountPropagation_PROPAGATION_PRIVATE
		if vm.MountPropagation != nil {
			switch *vm.MountPropagation {
			case core.MountPropagationHostToContainer:
				prop = runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER
			case core.MountPropagationBidirectional:
				prop = runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL
			}
		}
		out = append(out, &runtimeapi.Mount{ContainerPath: vm.MountPath, HostPath: host, Readonly: readOnly, Propagation: prop})
	}
	return out, nil
}

// teardownVolumes unmounts the pod's tmpfs volumes and removes its
// directory.
func (k *Kubelet) teardownVolumes(uid string) error {
	vols := filepath.Join(k.podDir(uid), "volumes")
	entries, _ := os.ReadDir(vols)
	for _, e := range entries {
		p := filepath.Join(vols, e.Name())
		if isMountPoint(p) {
			if err := unix.Unmount(p, unix.MNT_DETACH); err != nil {
				return fmt.Errorf("unmount %s: %w", p, err)
			}
		}
	}
	return os.RemoveAll(k.podDir(uid))
}

// refreshVolumes rewrites the configMap, secret and downwardAPI volumes of
// the running pods, so that updates propagate (Kubernetes does this on
// its periodic sync).
func (k *Kubelet) refreshVolumes(ctx context.Context) {
	k.mu.Lock()
	var pods []*core.Pod
	for _, w := range k.workers {
		p, gone := w.snapshot()
		if !gone && p.DeletionTimestamp == nil && !terminalPhase(p.Status.Phase) && w.rejection == nil {
			pods = append(pods, p)
		}
	}
	k.mu.Unlock()
	for _, p := range pods {
		if _, err := os.Stat(k.podDir(p.UID)); err != nil {
			continue // not set up yet: the worker does it
		}
		for i := range p.Spec.Volumes {
			v := &p.Spec.Volumes[i]
			if v.ConfigMap == nil && v.Secret == nil && v.DownwardAPI == nil && v.Projected == nil {
				continue
			}
			if err := k.setupVolume(ctx, p, v); err != nil && ctx.Err() == nil {
				k.log.Debug("refresh volume", "pod", p.Namespace+"/"+p.Name, "volume", v.Name, "err", err)
			}
		}
	}
}
