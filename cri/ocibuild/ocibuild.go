// Package ocibuild builds OCI image-layout archives for tests, with no
// registry and no container engine: a tar holding oci-layout, index.json and
// blobs/sha256/... (one gzip layer, an image config with Entrypoint, Cmd and
// Env, a manifest).
//
// # Images
//
// An Image is a list of Files and a config. Ready-made images:
//
//   - Pause: a static Go program that holds a pod's namespaces and exits on
//     SIGTERM or SIGINT; give its reference to containerd as sandbox_image.
//   - TestServer: a static Go HTTP server answering its hostname on / and
//     "ok" on /healthz, with "sleep N" and "crash CODE [N]" modes.
//   - Busybox: /bin/busybox (Debian's busybox-static) with a symlink per
//     applet: sh, sleep, echo, httpd, wget, ...
//
// The Go programs ship with this package as source and are compiled with
// CGO_ENABLED=0 in a scratch module by BuildGo, so only a Go toolchain is
// needed.
//
// # Importing
//
// The archive imports into containerd with
// `ctr -n k8s.io images import --address SOCK FILE` (containerdproc does
// this), or copies into a registry with
// `skopeo copy oci-archive:FILE docker://127.0.0.1:PORT/NAME:TAG`. The index
// names the image both ways containerd understands: the
// io.containerd.image.name annotation carries the full reference, the
// org.opencontainers.image.ref.name annotation its tag.
package ocibuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ErrInvalid is wrapped by errors about a malformed Image.
var ErrInvalid = errors.New("ocibuild: invalid image")

// File is one entry of the image's single layer.
type File struct {
	// Path is the absolute path inside the image, e.g. "/bin/sh".
	Path string
	// Mode holds the permission bits; fs.ModeDir makes a directory,
	// fs.ModeSymlink a symlink to Link. Default 0644 for files.
	Mode fs.FileMode
	// Data is a regular file's content (ignored when Source is set).
	Data []byte
	// Source, when set, is a host file whose content is copied.
	Source string
	// Link is a symlink's target.
	Link string
}

// Image describes an image to build.
type Image struct {
	// Ref is the full reference, e.g. "localhost/longshore/pause:1".
	Ref string
	// Files make up the image's only layer. Parent directories are added
	// as needed.
	Files []File
	// Entrypoint, Cmd, Env and WorkingDir go into the image config.
	Entrypoint, Cmd, Env []string
	WorkingDir           string
}

// Built describes what Write produced.
type Built struct {
	// Ref is the image's normalized reference.
	Ref string
	// Manifest is the digest of the image manifest.
	Manifest digest.Digest
	// Config is the digest of the image config, which containerd and CRI
	// report as the image ID.
	Config digest.Digest
}

// epoch is the timestamp of every layer entry, so builds are reproducible.
var epoch = time.Unix(0, 0).UTC()

// WriteFile writes img as an OCI layout archive to path.
func WriteFile(path string, img *Image) (*Built, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("ocibuild: %w", err)
	}
	b, err := Write(f, img)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("ocibuild: %w", cerr)
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return b, nil
}

// Write writes img as an OCI layout archive to w.
func Write(w io.Writer, img *Image) (*Built, error) {
	if img == nil {
		return nil, fmt.Errorf("%w: nil", ErrInvalid)
	}
	named, err := reference.ParseDockerRef(img.Ref)
	if err != nil {
		return nil, fmt.Errorf("%w: reference %q: %v", ErrInvalid, img.Ref, err)
	}
	tagged, ok := named.(reference.Tagged)
	if !ok {
		return nil, fmt.Errorf("%w: reference %q needs a tag", ErrInvalid, img.Ref)
	}
	layerTar, err := layer(img.Files)
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.ModTime = epoch
	if _, err := zw.Write(layerTar); err != nil {
		return nil, fmt.Errorf("ocibuild: compress layer: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("ocibuild: compress layer: %w", err)
	}
	platform := ocispec.Platform{Architecture: runtime.GOARCH, OS: "linux"}
	config := ocispec.Image{
		Created:  &epoch,
		Platform: platform,
		Config: ocispec.ImageConfig{
			Entrypoint: img.Entrypoint,
			Cmd:        img.Cmd,
			Env:        img.Env,
			WorkingDir: img.WorkingDir,
		},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layerTar)}},
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("ocibuild: %w", err)
	}
	layerDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz.Bytes()), Size: int64(gz.Len())}
	configDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(configJSON), Size: int64(len(configJSON))}
	manifestJSON, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    []ocispec.Descriptor{layerDesc},
	})
	if err != nil {
		return nil, fmt.Errorf("ocibuild: %w", err)
	}
	manifestDesc := ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageManifest,
		Digest:    digest.FromBytes(manifestJSON),
		Size:      int64(len(manifestJSON)),
		Platform:  &platform,
		Annotations: map[string]string{
			"io.containerd.image.name": named.String(),
			ocispec.AnnotationRefName:  tagged.Tag(),
		},
	}
	indexJSON, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{manifestDesc},
	})
	if err != nil {
		return nil, fmt.Errorf("ocibuild: %w", err)
	}
	layoutJSON, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})

	tw := tar.NewWriter(w)
	entries := []struct {
		name string
		data []byte
	}{
		{ocispec.ImageLayoutFile, layoutJSON},
		{"index.json", indexJSON},
		{blobPath(layerDesc.Digest), gz.Bytes()},
		{blobPath(configDesc.Digest), configJSON},
		{blobPath(manifestDesc.Digest), manifestJSON},
	}
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch}); err != nil {
			return nil, fmt.Errorf("ocibuild: write archive: %w", err)
		}
	}
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o644, Size: int64(len(e.data)), ModTime: epoch}); err != nil {
			return nil, fmt.Errorf("ocibuild: write archive: %w", err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("ocibuild: write archive: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("ocibuild: write archive: %w", err)
	}
	return &Built{Ref: named.String(), Manifest: manifestDesc.Digest, Config: configDesc.Digest}, nil
}

func blobPath(d digest.Digest) string { return "blobs/" + d.Algorithm().String() + "/" + d.Encoded() }

// layer builds the uncompressed layer tar: files sorted by path, with
// missing parent directories added.
func layer(files []File) ([]byte, error) {
	byPath := map[string]File{}
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "/") {
			return nil, fmt.Errorf("%w: path %q is not absolute", ErrInvalid, f.Path)
		}
		p := path.Clean(f.Path)
		if p == "/" {
			return nil, fmt.Errorf("%w: path %q is the root", ErrInvalid, f.Path)
		}
		if _, dup := byPath[p]; dup {
			return nil, fmt.Errorf("%w: path %q twice", ErrInvalid, p)
		}
		f.Path = p
		byPath[p] = f
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if _, ok := byPath[d]; !ok {
				byPath[d] = File{Path: d, Mode: fs.ModeDir | 0o755}
			}
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		f := byPath[p]
		if f.Mode&fs.ModeDir == 0 && f.Mode&fs.ModeSymlink == 0 {
			if _, ok := byPath[p]; ok && isParent(p, paths) {
				return nil, fmt.Errorf("%w: %q is a file and a directory", ErrInvalid, p)
			}
		}
		hdr := &tar.Header{Name: strings.TrimPrefix(p, "/"), ModTime: epoch, Mode: int64(f.Mode.Perm()), Format: tar.FormatPAX}
		var data []byte
		switch {
		case f.Mode&fs.ModeDir != 0:
			hdr.Typeflag, hdr.Name = tar.TypeDir, hdr.Name+"/"
			if f.Mode&fs.ModeSticky != 0 {
				hdr.Mode |= 0o1000
			}
		case f.Mode&fs.ModeSymlink != 0:
			if f.Link == "" {
				return nil, fmt.Errorf("%w: symlink %q without a target", ErrInvalid, p)
			}
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, f.Link, 0o777
		default:
			hdr.Typeflag = tar.TypeReg
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
			data = f.Data
			if f.Source != "" {
				var err error
				if data, err = os.ReadFile(f.Source); err != nil {
					return nil, fmt.Errorf("ocibuild: file %s: %w", p, err)
				}
			}
			hdr.Size = int64(len(data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("ocibuild: layer: %w", err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("ocibuild: layer: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("ocibuild: layer: %w", err)
	}
	return buf.Bytes(), nil
}

// isParent reports whether some path lies below p.
func isParent(p string, paths []string) bool {
	i, _ := slices.BinarySearch(paths, p+"/")
	return i < len(paths) && strings.HasPrefix(paths[i], p+"/")
}
