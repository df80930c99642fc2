// Package namespace is the Namespace controller: when a namespace is
// deleted it deletes every namespaced object in it, then removes the
// "kubernetes" finalizer from spec.finalizers so the server can drop the
// namespace, as Kubernetes' namespace controller does.
//
// # Discovery
//
// What to delete is discovered from the server (/api/v1 and every group
// version under /apis) on each sync, so custom resources are cleaned up
// too. Each namespaced resource that supports it is removed with one
// deletecollection; the others object by object. Objects that linger
// (pods waiting for their kubelet, objects held by finalizers) make the
// controller check again after RecheckPeriod.
//
// # Caveats
//
// Finalizing goes through PUT /api/v1/namespaces/{name}/finalize; the
// server removes the namespace once no finalizer is left. A server without
// that subresource answers 404 or 405; the controller then logs it and
// leaves spec.finalizers alone. It also cleans up the content of
// namespaces that are already gone (deleted by a server that does not hold
// namespaces in Terminating).
package namespace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
)

// Name is the controller's name in logs and metrics.
const Name = "namespace-controller"

// Options tune the controller; the zero value works.
type Options struct {
	// Workers is the number of concurrent syncs (default 2).
	Workers int
	// RecheckPeriod is the wait before checking again for content that is
	// still being deleted (default 2 s).
	RecheckPeriod time.Duration
	// Metrics is passed to the controller (usually Manager.Metrics()).
	Metrics *controller.Metrics
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// Reconciler empties and finalizes one deleted namespace (the Request's
// Name). Build it with New.
type Reconciler struct {
	c          *client.Client
	namespaces *controller.Informer[*core.Namespace]
	api        *client.Resource[*core.Namespace]
	opts       Options
	log        *slog.Logger
}

// New wires the controller on f's Namespace informer; add the returned
// controller to a Manager.
func New(f *controller.Factory, opts *Options) (*controller.Controller, *Reconciler, error) {
	r := &Reconciler{c: f.Client(), api: client.MustFor[*core.Namespace](f.Client())}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.Workers <= 0 {
		r.opts.Workers = 2
	}
	if r.opts.RecheckPeriod <= 0 {
		r.opts.RecheckPeriod = 2 * time.Second
	}
	r.log = r.opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if r.namespaces, err = controller.InformerFor[*core.Namespace](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	c, err := controller.New(Name, r, &controller.Options{Workers: r.opts.Workers, Metrics: r.opts.Metrics, Logger: r.opts.Logger})
	if err != nil {
		return nil, nil, err
	}
	controller.Watch(c, r.namespaces, func(ns *core.Namespace) []controller.Request {
		// Only deletions matter: a marked namespace, or one that is gone.
		if ns.DeletionTimestamp != nil {
			return []controller.Request{{Name: ns.Name}}
		}
		if _, ok := r.namespaces.Get("", ns.Name); !ok {
			return []controller.Request{{Name: ns.Name}}
		}
		return nil
	})
	return c, r, nil
}

// Reconcile implements controller.Reconciler; req.Name is a namespace.
func (r *Reconciler) Reconcile(ctx context.Context, req controller.Request) (controller.Result, error) {
	ns, ok := r.namespaces.Get("", req.Name)
	if ok && ns.DeletionTimestamp == nil {
		return controller.Result{}, nil
	}
	if !ok {
		// Gone from the cache: make sure it is gone (not recreated) before
		// deleting anything in it.
		if _, err := r.api.Get(ctx, req.Name); err == nil {
			return controller.Result{}, nil
		} else if !apierror.IsNotFound(err) {
			return controller.Result{}, err
		}
	}
	remaining, err := r.deleteContent(ctx, req.Name)
	if err != nil {
		return controller.Result{}, err
	}
	if remaining > 0 {
		r.log.Info("namespace content remaining", "namespace", req.Name, "objects", remaining)
		return controller.Result{RequeueAfter: r.opts.RecheckPeriod}, nil
	}
	if ok && slices.Contains(ns.Spec.Finalizers, core.FinalizerKubernetes) {
		return controller.Result{}, r.finalize(ctx, ns)
	}
	return controller.Result{}, nil
}

// discoveryResource is the part of a discovery APIResource used here.
type discoveryResource struct {
	Name       string   `json:"name"`
	Namespaced bool     `json:"namespaced"`
	Kind       string   `json:"kind"`
	Verbs      []string `json:"verbs"`
}

type discoveryList struct {
	GroupVersion string              `json:"groupVersion"`
	Resources    []discoveryResource `json:"resources"`
}

type discoveryGroups struct {
	Groups []struct {
		Versions []struct {
			GroupVersion string `json:"groupVersion"`
		} `json:"versions"`
	} `json:"groups"`
}

// ErrDiscovery reports that the server's resources could not be listed.
var ErrDiscovery = errors.New("namespace: discovery failed")

// Resources returns the namespaced resources the server serves that can
// be listed and deleted, from discovery.
func Resources(ctx context.Context, c *client.Client) ([]client.GVR, error) {
	get := func(path string, into any) error {
		resp, err := c.Do(ctx, &client.Request{Method: http.MethodGet, Path: path})
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrDiscovery, path, err)
		}
		if err := json.Unmarshal(resp.Body, into); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrDiscovery, path, err)
		}
		return nil
	}
	gvs := []string{"v1"}
	var groups discoveryGroups
	if err := get("/apis", &groups); err != nil {
		return nil, err
	}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			gvs = append(gvs, v.GroupVersion)
		}
	}
	var out []client.GVR
	for _, gv := range gvs {
		path := "/apis/" + gv
		if gv == "v1" {
			path = "/api/v1"
		}
		var l discoveryList
		if err := get(path, &l); err != nil {
			return nil, err
		}
		pgv, err := meta.ParseGroupVersion(gv)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
		}
		for _, res := range l.Resources {
			if !res.Namespaced || strings.Contains(res.Name, "/") || !slices.Contains(res.Verbs, "list") || !slices.Contains(res.Verbs, "delete") {
				continue
			}
			out = append(out, client.GVR{GroupVersionResource: pgv.WithResource(res.Name), Kind: res.Kind, Namespaced: true})
		}
	}
	return out, nil
}

// deleteContent deletes every namespaced object of ns and returns how
// many are left (still terminating).
func (r *Reconciler) deleteContent(ctx context.Context, ns string) (int, error) {
	resources, err := Resources(ctx, r.c)
	if err != nil {
		return 0, err
	}
	remaining := 0
	var errs []error
	for _, gvr := range resources {
		res := client.Dynamic(r.c, gvr).Namespace(ns)
		l, err := res.List(ctx, client.ListOptions{})
		if err != nil {
			if apierror.IsNotFound(err) || apierror.IsMethodNotAllowed(err) {
				continue
			}
			errs = append(errs, fmt.Errorf("list %s: %w", gvr.Resource, err))
			continue
		}
		if len(l.Items) == 0 {
			continue
		}
		if err := res.DeleteCollection(ctx, nil, client.ListOptions{}); err != nil {
			// Fall back to one by one.
			for _, obj := range l.Items {
				name := obj.GetObjectMeta().Name
				if err := res.Delete(ctx, name, nil); err != nil && !apierror.IsNotFound(err) {
					errs = append(errs, fmt.Errorf("delete %s %s/%s: %w", gvr.Resource, ns, name, err))
				}
			}
		}
		l, err = res.List(ctx, client.ListOptions{})
		if err != nil {
			errs = append(errs, fmt.Errorf("list %s: %w", gvr.Resource, err))
			continue
		}
		remaining += len(l.Items)
	}
	return remaining, errors.Join(errs...)
}

// finalize removes "kubernetes" from spec.finalizers through the
// finalize subresource.
func (r *Reconciler) finalize(ctx context.Context, ns *core.Namespace) error {
	out := ns.DeepCopyObject().(*core.Namespace)
	out.Spec.Finalizers = slices.DeleteFunc(out.Spec.Finalizers, func(f core.FinalizerName) bool { return f == core.FinalizerKubernetes })
	out.TypeMeta = meta.TypeMeta{Kind: "Namespace", APIVersion: "v1"}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = r.c.Do(ctx, &client.Request{Method: http.MethodPut, Path: "/api/v1/namespaces/" + ns.Name + "/finalize", Body: body})
	switch {
	case err == nil:
		return nil
	case apierror.IsNotFound(err) || apierror.IsMethodNotAllowed(err):
		if _, gerr := r.api.Get(ctx, ns.Name); apierror.IsNotFound(gerr) {
			return nil // the namespace went meanwhile
		}
		r.log.Warn("the server does not serve namespaces/finalize; spec.finalizers left as is", "namespace", ns.Name, "err", err)
		return nil
	}
	return fmt.Errorf("finalize namespace %s: %w", ns.Name, err)
}

var _ controller.Reconciler = (*Reconciler)(nil)
