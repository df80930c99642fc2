package fake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/distribution/reference"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/longshore/longshore/cri"
)

// fakeImageSize is the size every fake image reports.
const fakeImageSize = 1 << 20

type image struct {
	id   string
	tags []string
}

func (im *image) api() *runtimeapi.Image {
	return &runtimeapi.Image{Id: im.id, RepoTags: append([]string(nil), im.tags...), Size: fakeImageSize, Spec: &runtimeapi.ImageSpec{Image: im.id}}
}

// normalizeRef turns "busybox" into "docker.io/library/busybox:latest", as
// real runtimes name images.
func normalizeRef(ref string) (string, error) {
	n, err := reference.ParseDockerRef(ref)
	if err != nil {
		return "", fmt.Errorf("fake: image reference %q: %v: %w", ref, err, cri.ErrInvalidArgument)
	}
	return n.String(), nil
}

// addImage makes ref present and returns its ID. r.mu must be held or r not
// yet shared.
func (r *Runtime) addImage(ref string) (string, error) {
	n, err := normalizeRef(ref)
	if err != nil {
		return "", err
	}
	if id, ok := r.refs[n]; ok {
		return id, nil
	}
	sum := sha256.Sum256([]byte(n))
	id := "sha256:" + hex.EncodeToString(sum[:])
	im := r.images[id]
	if im == nil {
		im = &image{id: id}
		r.images[id] = im
	}
	im.tags = append(im.tags, n)
	r.refs[n] = id
	return id, nil
}

// lookupImage finds an image by reference or ID. r.mu must be held.
func (r *Runtime) lookupImage(ref string) *image {
	if im := r.images[ref]; im != nil {
		return im
	}
	if im := r.images["sha256:"+ref]; im != nil {
		return im
	}
	n, err := normalizeRef(ref)
	if err != nil {
		return nil
	}
	return r.images[r.refs[n]]
}

// ListImages lists present images, filtered by the filter's image reference.
func (r *Runtime) ListImages(ctx context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	if err := r.enter(ctx, "ListImages", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	resp := &runtimeapi.ListImagesResponse{}
	if want := req.GetFilter().GetImage().GetImage(); want != "" {
		if im := r.lookupImage(want); im != nil {
			resp.Images = append(resp.Images, im.api())
		}
		return resp, nil
	}
	for _, id := range sortedKeys(r.images) {
		resp.Images = append(resp.Images, r.images[id].api())
	}
	return resp, nil
}

// ImageStatus returns the image, or a response with a nil Image when absent.
func (r *Runtime) ImageStatus(ctx context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	if err := r.enter(ctx, "ImageStatus", req); err != nil {
		return nil, err
	}
	ref := req.GetImage().GetImage()
	if ref == "" {
		return nil, fmt.Errorf("fake: ImageStatus: empty image reference: %w", cri.ErrInvalidArgument)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	resp := &runtimeapi.ImageStatusResponse{}
	if im := r.lookupImage(ref); im != nil {
		resp.Image = im.api()
	}
	return resp, nil
}

// PullImage makes the image present (instantly) unless the reference is in
// Options.PullRefusal, and returns its ID.
func (r *Runtime) PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	if err := r.enter(ctx, "PullImage", req); err != nil {
		return nil, err
	}
	ref := req.GetImage().GetImage()
	n, err := normalizeRef(ref)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if im := r.lookupImage(ref); im != nil {
		return &runtimeapi.PullImageResponse{ImageRef: im.id}, nil
	}
	if r.refusals[n] {
		return nil, fmt.Errorf("fake: pull %q: %w", ref, cri.ErrNotFound)
	}
	id, err := r.addImage(ref)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PullImageResponse{ImageRef: id}, nil
}

// RemoveImage removes the image with all its tags; a missing image is no
// error.
func (r *Runtime) RemoveImage(ctx context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	if err := r.enter(ctx, "RemoveImage", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if im := r.lookupImage(req.GetImage().GetImage()); im != nil {
		for _, t := range im.tags {
			delete(r.refs, t)
		}
		delete(r.images, im.id)
	}
	return &runtimeapi.RemoveImageResponse{}, nil
}

// ImageFsInfo reports one image filesystem holding every fake image.
func (r *Runtime) ImageFsInfo(ctx context.Context, req *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	if err := r.enter(ctx, "ImageFsInfo", req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fs := &runtimeapi.FilesystemUsage{
		Timestamp:  nanos(r.clock.Now()),
		FsId:       &runtimeapi.FilesystemIdentifier{Mountpoint: "/fake/images"},
		UsedBytes:  &runtimeapi.UInt64Value{Value: uint64(len(r.images)) * fakeImageSize},
		InodesUsed: &runtimeapi.UInt64Value{Value: uint64(len(r.images))},
	}
	return &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{fs}}, nil
}
