package containerd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	containerd "github.com/containerd/containerd"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/remotes/docker"
	"github.com/containerd/containerd/snapshots"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// normalize turns a user's image reference into containerd's image name
// (docker.io/library/busybox:latest for "busybox").
func normalize(ref string) (string, error) {
	named, err := reference.ParseDockerRef(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %w: %v", ref, cri.ErrInvalidArgument, err)
	}
	return named.String(), nil
}

// isImageID reports whether ref is an image ID (a config digest, with or
// without "sha256:").
func isImageID(ref string) (digest.Digest, bool) {
	if d, err := digest.Parse(ref); err == nil {
		return d, true
	}
	if len(ref) == 64 && strings.Trim(ref, "0123456789abcdef") == "" {
		return digest.NewDigestFromEncoded(digest.SHA256, ref), true
	}
	return "", false
}

// lookupImage finds an image by reference or ID; the error wraps
// cri.ErrNotFound when it is not present.
func (r *Runtime) lookupImage(ctx context.Context, ref string) (containerd.Image, error) {
	if id, ok := isImageID(ref); ok {
		imgs, err := r.client.ListImages(ctx)
		if err != nil {
			return nil, mapErr(err)
		}
		for _, img := range imgs {
			if cfg, err := img.Config(ctx); err == nil && cfg.Digest == id {
				return img, nil
			}
		}
		return nil, fmt.Errorf("image %s: %w", ref, cri.ErrNotFound)
	}
	name, err := normalize(ref)
	if err != nil {
		return nil, err
	}
	img, err := r.client.GetImage(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, mapErr(err))
	}
	return img, nil
}

// imageInfo is a present, unpacked image with its decoded config.
type imageInfo struct {
	img  containerd.Image
	id   digest.Digest // the config digest, CRI's image ID
	spec ocispec.Image
}

// image returns a present image, unpacked into the snapshotter, from a
// cache that saves the content-store round trips of every pod and container
// start. ImportArchive, PullImage and RemoveImage reset the cache.
func (r *Runtime) image(ctx context.Context, ref string) (*imageInfo, error) {
	r.imgMu.Lock()
	info := r.imgCache[ref]
	r.imgMu.Unlock()
	if info != nil {
		return info, nil
	}
	img, err := r.lookupImage(ctx, ref)
	if err != nil {
		return nil, err
	}
	if ok, err := img.IsUnpacked(ctx, r.opts.Snapshotter); err != nil || !ok {
		if err := img.Unpack(ctx, r.opts.Snapshotter); err != nil {
			return nil, fmt.Errorf("unpack %s: %w", ref, mapErr(err))
		}
	}
	cfg, err := img.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, mapErr(err))
	}
	spec, err := img.Spec(ctx)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, mapErr(err))
	}
	info = &imageInfo{img: img, id: cfg.Digest, spec: spec}
	r.imgMu.Lock()
	r.imgCache[ref] = info
	r.imgMu.Unlock()
	return info, nil
}

// forgetImages empties the image cache after images changed.
func (r *Runtime) forgetImages() {
	r.imgMu.Lock()
	clear(r.imgCache)
	r.imgMu.Unlock()
}

// ImportArchive imports an OCI image-layout (or docker save) archive, as
// built by cri/ocibuild, unpacks its images and returns their names.
func (r *Runtime) ImportArchive(ctx context.Context, rd io.Reader) ([]string, error) {
	ctx = r.ns(ctx)
	defer r.forgetImages()
	imgs, err := r.client.Import(ctx, rd)
	if err != nil {
		return nil, fmt.Errorf("import archive: %w", mapErr(err))
	}
	var names []string
	for _, im := range imgs {
		img := containerd.NewImage(r.client, im)
		if err := img.Unpack(ctx, r.opts.Snapshotter); err != nil {
			return nil, fmt.Errorf("import archive: unpack %s: %w", im.Name, mapErr(err))
		}
		names = append(names, im.Name)
	}
	return names, nil
}

// ListImages lists images, one entry per image ID with all its names.
func (r *Runtime) ListImages(ctx context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	ctx = r.ns(ctx)
	imgs, err := r.client.ListImages(ctx)
	if err != nil {
		return nil, fmt.Errorf("ListImages: %w", mapErr(err))
	}
	var want digest.Digest
	if ref := req.GetFilter().GetImage().GetImage(); ref != "" {
		img, err := r.lookupImage(ctx, ref)
		if err != nil {
			return &runtimeapi.ListImagesResponse{}, nil
		}
		cfg, err := img.Config(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListImages: %w", mapErr(err))
		}
		want = cfg.Digest
	}
	byID := map[digest.Digest]*runtimeapi.Image{}
	var order []digest.Digest
	for _, img := range imgs {
		cfg, err := img.Config(ctx)
		if err != nil {
			continue // content missing: not a usable image
		}
		if want != "" && cfg.Digest != want {
			continue
		}
		ci := byID[cfg.Digest]
		if ci == nil {
			ci, err = r.criImage(ctx, img)
			if err != nil {
				continue
			}
			byID[cfg.Digest] = ci
			order = append(order, cfg.Digest)
		}
		addNames(ci, img)
	}
	out := make([]*runtimeapi.Image, 0, len(order))
	for _, d := range order {
		out = append(out, byID[d])
	}
	return &runtimeapi.ListImagesResponse{Images: out}, nil
}

// criImage describes img without its names (see addNames).
func (r *Runtime) criImage(ctx context.Context, img containerd.Image) (*runtimeapi.Image, error) {
	cfg, err := img.Config(ctx)
	if err != nil {
		return nil, err
	}
	size, _ := img.Size(ctx)
	ci := &runtimeapi.Image{Id: cfg.Digest.String(), Size: uint64(size)}
	if spec, err := img.Spec(ctx); err == nil {
		user, _, _ := strings.Cut(spec.Config.User, ":")
		if uid, err := strconv.ParseInt(user, 10, 64); err == nil {
			ci.Uid = &runtimeapi.Int64Value{Value: uid}
		} else {
			ci.Username = user
		}
	}
	return ci, nil
}

// addNames adds img's name as a tag, or as a digest reference, to ci.
func addNames(ci *runtimeapi.Image, img containerd.Image) {
	name := img.Name()
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return
	}
	if _, ok := named.(reference.Digested); ok {
		if !slices.Contains(ci.RepoDigests, name) {
			ci.RepoDigests = append(ci.RepoDigests, name)
		}
		return
	}
	if !slices.Contains(ci.RepoTags, name) {
		ci.RepoTags = append(ci.RepoTags, name)
	}
	if d, err := reference.WithDigest(reference.TrimNamed(named), img.Target().Digest); err == nil && !slices.Contains(ci.RepoDigests, d.String()) {
		ci.RepoDigests = append(ci.RepoDigests, d.String())
	}
}

// ImageStatus returns the image's status, or a response with a nil Image
// if it is not present.
func (r *Runtime) ImageStatus(ctx context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	ctx = r.ns(ctx)
	img, err := r.lookupImage(ctx, req.GetImage().GetImage())
	if errdefsNotFound(err) {
		return &runtimeapi.ImageStatusResponse{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ImageStatus: %w", err)
	}
	list, err := r.ListImages(ctx, &runtimeapi.ListImagesRequest{Filter: &runtimeapi.ImageFilter{Image: &runtimeapi.ImageSpec{Image: img.Name()}}})
	if err != nil || len(list.Images) == 0 {
		return &runtimeapi.ImageStatusResponse{}, err
	}
	return &runtimeapi.ImageStatusResponse{Image: list.Images[0]}, nil
}

func errdefsNotFound(err error) bool {
	return err != nil && (errdefs.IsNotFound(err) || isCRINotFound(err))
}

// PullImage makes the image present: a present reference succeeds without
// network; otherwise it is pulled (plain HTTP for loopback registries)
// and unpacked. It returns the image ID.
func (r *Runtime) PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	ctx = r.ns(ctx)
	ref := req.GetImage().GetImage()
	if info, err := r.image(ctx, ref); err == nil {
		return &runtimeapi.PullImageResponse{ImageRef: info.id.String()}, nil
	} else if !errdefsNotFound(err) {
		return nil, fmt.Errorf("PullImage: %w", err)
	}
	name, err := normalize(ref)
	if err != nil {
		return nil, fmt.Errorf("PullImage: %w", err)
	}
	defer r.forgetImages()
	regOpts := []docker.RegistryOpt{docker.WithPlainHTTP(docker.MatchLocalhost)}
	if auth := req.GetAuth(); auth != nil && (auth.GetUsername() != "" || auth.GetPassword() != "") {
		regOpts = append(regOpts, docker.WithAuthorizer(docker.NewDockerAuthorizer(docker.WithAuthCreds(func(string) (string, string, error) {
			return auth.GetUsername(), auth.GetPassword(), nil
		}))))
	}
	resolver := docker.NewResolver(docker.ResolverOptions{Hosts: docker.ConfigureDefaultRegistries(regOpts...)})
	img, err := r.client.Pull(ctx, name,
		containerd.WithResolver(resolver),
		containerd.WithPullUnpack,
		containerd.WithPullSnapshotter(r.opts.Snapshotter),
	)
	if err != nil {
		return nil, fmt.Errorf("PullImage %s: %w", name, mapErr(err))
	}
	cfg, err := img.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("PullImage %s: %w", name, mapErr(err))
	}
	return &runtimeapi.PullImageResponse{ImageRef: cfg.Digest.String()}, nil
}

// RemoveImage removes every name of the image (all tags of its ID).
// Removing a missing image succeeds.
func (r *Runtime) RemoveImage(ctx context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	ctx = r.ns(ctx)
	defer r.forgetImages()
	img, err := r.lookupImage(ctx, req.GetImage().GetImage())
	if errdefsNotFound(err) {
		return &runtimeapi.RemoveImageResponse{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("RemoveImage: %w", err)
	}
	cfg, err := img.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("RemoveImage: %w", mapErr(err))
	}
	imgs, err := r.client.ListImages(ctx)
	if err != nil {
		return nil, fmt.Errorf("RemoveImage: %w", mapErr(err))
	}
	for _, other := range imgs {
		if oc, err := other.Config(ctx); err == nil && oc.Digest == cfg.Digest {
			if err := r.client.ImageService().Delete(ctx, other.Name()); err != nil && !errdefs.IsNotFound(err) {
				return nil, fmt.Errorf("RemoveImage %s: %w", other.Name(), mapErr(err))
			}
		}
	}
	return &runtimeapi.RemoveImageResponse{}, nil
}

// ImageFsInfo reports the space and inodes the snapshotter uses.
func (r *Runtime) ImageFsInfo(ctx context.Context, req *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	ctx = r.ns(ctx)
	sn := r.client.SnapshotService(r.opts.Snapshotter)
	var size, inodes int64
	err := sn.Walk(ctx, func(ctx context.Context, info snapshots.Info) error {
		u, err := sn.Usage(ctx, info.Name)
		if err == nil {
			size += u.Size
			inodes += u.Inodes
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ImageFsInfo: %w", mapErr(err))
	}
	fs := &runtimeapi.FilesystemUsage{
		Timestamp:  time.Now().UnixNano(),
		FsId:       &runtimeapi.FilesystemIdentifier{Mountpoint: r.opts.Snapshotter},
		UsedBytes:  &runtimeapi.UInt64Value{Value: uint64(size)},
		InodesUsed: &runtimeapi.UInt64Value{Value: uint64(inodes)},
	}
	return &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{fs}}, nil
}
