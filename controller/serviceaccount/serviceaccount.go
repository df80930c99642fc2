// Package serviceaccount is the ServiceAccounts controller: it keeps a
// "default" ServiceAccount in every active namespace, recreating it when
// it is deleted, as Kubernetes' serviceaccounts controller does.
package serviceaccount

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
)

// Name is the controller's name in logs and metrics.
const Name = "serviceaccount-controller"

// DefaultName is the name of the ServiceAccount every namespace gets.
const DefaultName = "default"

// Options tune the controller; the zero value works.
type Options struct {
	// Workers is the number of concurrent syncs (default 1).
	Workers int
	// Metrics is passed to the controller (usually Manager.Metrics()).
	Metrics *controller.Metrics
	// Logger receives diagnostics; nil discards.
	Logger *slog.Logger
}

// Reconciler ensures the default ServiceAccount of one namespace (the
// Request's Name). Build it with New.
type Reconciler struct {
	namespaces *controller.Informer[*core.Namespace]
	accounts   *controller.Informer[*core.ServiceAccount]
	api        *client.Resource[*core.ServiceAccount]
}

// New wires the controller on f's Namespace informer and an informer of
// the ServiceAccounts named "default"; add the returned controller to a
// Manager.
func New(f *controller.Factory, opts *Options) (*controller.Controller, *Reconciler, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	r := &Reconciler{api: client.MustFor[*core.ServiceAccount](f.Client())}
	var err error
	if r.namespaces, err = controller.InformerFor[*core.Namespace](f, controller.InformerOptions{}); err != nil {
		return nil, nil, err
	}
	if r.accounts, err = controller.InformerFor[*core.ServiceAccount](f, controller.InformerOptions{FieldSelector: "metadata.name=" + DefaultName}); err != nil {
		return nil, nil, err
	}
	c, err := controller.New(Name, r, &controller.Options{Workers: o.Workers, Metrics: o.Metrics, Logger: o.Logger})
	if err != nil {
		return nil, nil, err
	}
	controller.Watch(c, r.namespaces, controller.EnqueueObject[*core.Namespace]())
	controller.Watch(c, r.accounts, func(sa *core.ServiceAccount) []controller.Request {
		if sa.Name != DefaultName {
			return nil
		}
		return []controller.Request{{Name: sa.Namespace}}
	})
	return c, r, nil
}

// Reconcile implements controller.Reconciler; req.Name is a namespace.
func (r *Reconciler) Reconcile(ctx context.Context, req controller.Request) (controller.Result, error) {
	ns, ok := r.namespaces.Get("", req.Name)
	if !ok || ns.DeletionTimestamp != nil || ns.Status.Phase == core.NamespaceTerminating {
		return controller.Result{}, nil
	}
	if _, ok := r.accounts.Get(ns.Name, DefaultName); ok {
		return controller.Result{}, nil
	}
	sa := &core.ServiceAccount{ObjectMeta: meta.ObjectMeta{Name: DefaultName, Namespace: ns.Name}}
	_, err := r.api.Namespace(ns.Name).Create(ctx, sa, client.WriteOptions{})
	switch {
	case err == nil, apierror.IsAlreadyExists(err):
		return controller.Result{}, nil
	case apierror.IsForbidden(err), apierror.IsNotFound(err):
		// The namespace is going away (terminating, or gone).
		return controller.Result{}, nil
	}
	return controller.Result{}, fmt.Errorf("create default service account in %s: %w", ns.Name, err)
}

var _ controller.Reconciler = (*Reconciler)(nil)
