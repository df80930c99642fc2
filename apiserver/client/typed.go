package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"

	"github.com/longshore/longshore/api/meta"
)

// GVR describes where a resource is served.
type GVR struct {
	meta.GroupVersionResource
	Kind       string
	Namespaced bool
}

// resourcePath builds /api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]].
func resourcePath(r GVR, namespace, name string, sub ...string) string {
	p := "/apis/" + r.Group + "/" + r.Version
	if r.Group == "" {
		p = "/api/" + r.Version
	}
	if r.Namespaced && namespace != "" {
		p += "/namespaces/" + url.PathEscape(namespace)
	}
	p += "/" + r.Resource
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	for _, s := range sub {
		if s != "" {
			p += "/" + s
		}
	}
	return p
}

// ListOptions are Kubernetes' list and watch options.
type ListOptions struct {
	LabelSelector        string
	FieldSelector        string
	ResourceVersion      string
	ResourceVersionMatch string
	Limit                int64
	Continue             string
	// Watch options.
	AllowWatchBookmarks bool
	TimeoutSeconds      *int64
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("labelSelector", o.LabelSelector)
	set("fieldSelector", o.FieldSelector)
	set("resourceVersion", o.ResourceVersion)
	set("resourceVersionMatch", o.ResourceVersionMatch)
	set("continue", o.Continue)
	if o.Limit > 0 {
		q.Set("limit", strconv.FormatInt(o.Limit, 10))
	}
	if o.AllowWatchBookmarks {
		q.Set("allowWatchBookmarks", "true")
	}
	if o.TimeoutSeconds != nil {
		q.Set("timeoutSeconds", strconv.FormatInt(*o.TimeoutSeconds, 10))
	}
	return q
}

// WriteOptions tune create, update and patch.
type WriteOptions struct {
	// DryRun asks the server to validate without storing.
	DryRun bool
	// FieldValidation is Strict, Warn or Ignore (server default Strict).
	FieldValidation string
	// FieldManager names the writer.
	FieldManager string
}

func (o WriteOptions) query() url.Values {
	q := url.Values{}
	if o.DryRun {
		q.Set("dryRun", "All")
	}
	if o.FieldValidation != "" {
		q.Set("fieldValidation", o.FieldValidation)
	}
	if o.FieldManager != "" {
		q.Set("fieldManager", o.FieldManager)
	}
	return q
}

// PatchType is a patch content type.
type PatchType string

// The patch types the server accepts.
const (
	MergePatch     PatchType = "application/merge-patch+json"
	JSONPatch      PatchType = "application/json-patch+json"
	StrategicPatch PatchType = "application/strategic-merge-patch+json"
)

// List is a page of objects of one kind.
type List[T meta.Object] struct {
	meta.TypeMeta `json:",inline"`
	meta.ListMeta `json:"metadata"`
	Items         []T `json:"items"`
}

// Resource is a typed client for the objects of one kind, such as
// Resource[*core.Pod]. Get one with For; scope it with Namespace.
type Resource[T meta.Object] struct {
	c         *Client
	gvr       GVR
	namespace string
	newT      func() T
}

// For returns the typed client of T's kind, resolved through the
// client's scheme. T is a pointer to a registered kind (e.g. *core.Pod).
func For[T meta.Object](c *Client) (*Resource[T], error) {
	var zero T
	t := reflect.TypeOf(zero)
	if t == nil || t.Kind() != reflect.Pointer {
		return nil, fmt.Errorf("client: %T is not a pointer to a kind", zero)
	}
	newT := func() T { return reflect.New(t.Elem()).Interface().(T) }
	k, err := c.scheme.ForObject(newT())
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return &Resource[T]{c: c, newT: newT, gvr: GVR{GroupVersionResource: k.GVR, Kind: k.GVK.Kind, Namespaced: k.Namespaced}}, nil
}

// MustFor is For for the built-in kinds, whose registration cannot fail;
// it panics on a type that is not a registered kind (a programming error).
func MustFor[T meta.Object](c *Client) *Resource[T] {
	r, err := For[T](c)
	if err != nil {
		panic(err)
	}
	return r
}

// Namespace returns a client scoped to ns ("" means all namespaces for
// list and watch).
func (r *Resource[T]) Namespace(ns string) *Resource[T] {
	out := *r
	out.namespace = ns
	return &out
}

// GVR returns where the resource is served.
func (r *Resource[T]) GVR() GVR { return r.gvr }

func (r *Resource[T]) decode(data []byte) (T, error) {
	obj := r.newT()
	if err := json.Unmarshal(data, obj); err != nil {
		var zero T
		return zero, fmt.Errorf("client: decoding %s: %w", r.gvr.Kind, err)
	}
	return obj, nil
}

// Get reads one object.
func (r *Resource[T]) Get(ctx context.Context, name string) (T, error) {
	return r.GetAt(ctx, name, "")
}

// GetAt reads one object with a resourceVersion ("0" for any cached).
func (r *Resource[T]) GetAt(ctx context.Context, name, resourceVersion string) (T, error) {
	q := url.Values{}
	if resourceVersion != "" {
		q.Set("resourceVersion", resourceVersion)
	}
	resp, err := r.c.Do(ctx, &Request{Method: http.MethodGet, Path: resourcePath(r.gvr, r.namespace, name), Query: q})
	if err != nil {
		var zero T
		return zero, err
	}
	return r.decode(resp.Body)
}

// List reads a page of objects.
func (r *Resource[T]) List(ctx context.Context, opts ListOptions) (*List[T], error) {
	resp, err := r.c.Do(ctx, &Request{Method: http.MethodGet, Path: resourcePath(r.gvr, r.namespace, ""), Query: opts.query()})
	if err != nil {
		return nil, err
	}
	var l List[T]
	if err := json.Unmarshal(resp.Body, &l); err != nil {
		return nil, fmt.Errorf("client: decoding %sList: %w", r.gvr.Kind, err)
	}
	return &l, nil
}

// ListAll reads every page (with the given page size, 500 by default).
func (r *Resource[T]) ListAll(ctx context.Context, opts ListOptions) (*List[T], error) {
	if opts.Limit == 0 {
		opts.Limit = 500
	}
	var all *List[T]
	for {
		l, err := r.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = l
		} else {
			all.Items = append(all.Items, l.Items...)
			all.Continue = l.Continue
		}
		if l.Continue == "" {
			return all, nil
		}
		opts.Continue, opts.ResourceVersion, opts.ResourceVersionMatch = l.Continue, "", ""
	}
}

func (r *Resource[T]) write(ctx context.Context, method, name, sub string, obj any, opts WriteOptions) (T, error) {
	var zero T
	body, err := json.Marshal(obj)
	if err != nil {
		return zero, fmt.Errorf("client: encoding %s: %w", r.gvr.Kind, err)
	}
	resp, err := r.c.Do(ctx, &Request{Method: method, Path: resourcePath(r.gvr, r.namespace, name, sub), Query: opts.query(), Body: body})
	if err != nil {
		return zero, err
	}
	return r.decode(resp.Body)
}

// namespaceOf returns the namespace a write of obj goes to: the client's,
// or the object's own.
func (r *Resource[T]) namespaceOf(obj T) *Resource[T] {
	if r.namespace == "" && r.gvr.Namespaced {
		return r.Namespace(obj.GetObjectMeta().Namespace)
	}
	return r
}

// Create creates obj and returns the stored object.
func (r *Resource[T]) Create(ctx context.Context, obj T, opts WriteOptions) (T, error) {
	rr := r.namespaceOf(obj)
	obj.GetTypeMeta().APIVersion, obj.GetTypeMeta().Kind = r.gvr.GroupVersion().String(), r.gvr.Kind
	return rr.write(ctx, http.MethodPost, "", "", obj, opts)
}

// Update replaces obj; the server answers 409 Conflict when obj's
// resourceVersion is stale.
func (r *Resource[T]) Update(ctx context.Context, obj T, opts WriteOptions) (T, error) {
	rr := r.namespaceOf(obj)
	obj.GetTypeMeta().APIVersion, obj.GetTypeMeta().Kind = r.gvr.GroupVersion().String(), r.gvr.Kind
	return rr.write(ctx, http.MethodPut, obj.GetObjectMeta().Name, "", obj, opts)
}

// UpdateStatus writes obj's status through the status subresource.
func (r *Resource[T]) UpdateStatus(ctx context.Context, obj T, opts WriteOptions) (T, error) {
	rr := r.namespaceOf(obj)
	obj.GetTypeMeta().APIVersion, obj.GetTypeMeta().Kind = r.gvr.GroupVersion().String(), r.gvr.Kind
	return rr.write(ctx, http.MethodPut, obj.GetObjectMeta().Name, "status", obj, opts)
}

// Patch applies a patch to the named object (or its subresource).
func (r *Resource[T]) Patch(ctx context.Context, name string, pt PatchType, data []byte, opts WriteOptions, subresource ...string) (T, error) {
	var zero T
	sub := ""
	if len(subresource) > 0 {
		sub = subresource[0]
	}
	resp, err := r.c.Do(ctx, &Request{Method: http.MethodPatch, Path: resourcePath(r.gvr, r.namespace, name, sub),
		Query: opts.query(), Body: data, ContentType: string(pt)})
	if err != nil {
		return zero, err
	}
	return r.decode(resp.Body)
}

// Delete deletes the named object; opts may be nil.
func (r *Resource[T]) Delete(ctx context.Context, name string, opts *meta.DeleteOptions) error {
	req := &Request{Method: http.MethodDelete, Path: resourcePath(r.gvr, r.namespace, name)}
	if opts != nil {
		body, err := json.Marshal(opts)
		if err != nil {
			return err
		}
		req.Body = body
	}
	_, err := r.c.Do(ctx, req)
	return err
}

// DeleteCollection deletes every object the list options select.
func (r *Resource[T]) DeleteCollection(ctx context.Context, opts *meta.DeleteOptions, lo ListOptions) error {
	req := &Request{Method: http.MethodDelete, Path: resourcePath(r.gvr, r.namespace, ""), Query: lo.query()}
	if opts != nil {
		body, err := json.Marshal(opts)
		if err != nil {
			return err
		}
		req.Body = body
	}
	_, err := r.c.Do(ctx, req)
	return err
}

// CreateSubresource posts obj to a subresource (e.g. pods/binding) and discards the
// answer's body.
func (r *Resource[T]) CreateSubresource(ctx context.Context, name, subresource string, obj any, opts WriteOptions) error {
	body, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	_, err = r.c.Do(ctx, &Request{Method: http.MethodPost, Path: resourcePath(r.gvr, r.namespace, name, subresource), Query: opts.query(), Body: body})
	return err
}
