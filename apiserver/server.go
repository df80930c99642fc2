package apiserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/longshore/longshore/api"
	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apiextensions"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/fields"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/api/scheduling"
	"github.com/longshore/longshore/apiserver/admission"
	"github.com/longshore/longshore/apiserver/authn"
	"github.com/longshore/longshore/apiserver/authz"
	"github.com/longshore/longshore/apiserver/storage"
	"github.com/longshore/longshore/store"
)

// Defaults of Config.
const (
	DefaultMaxRequestBytes     = 3 << 20
	DefaultMaxInFlight         = 400
	DefaultMaxMutatingInFlight = 200
	// DefaultCompactionInterval is how often the store's history is
	// compacted, as kube-apiserver's --etcd-compaction-interval.
	DefaultCompactionInterval = 5 * time.Minute
)

// Version is what /version reports.
var Version = VersionInfo{
	Major: "1", Minor: "32", GitVersion: "v1.32.0-longshore", Platform: "linux/amd64",
	GoVersion: "go1.26",
}

// VersionInfo is the body of /version.
type VersionInfo struct {
	Major      string `json:"major"`
	Minor      string `json:"minor"`
	GitVersion string `json:"gitVersion"`
	GitCommit  string `json:"gitCommit"`
	BuildDate  string `json:"buildDate"`
	GoVersion  string `json:"goVersion"`
	Compiler   string `json:"compiler"`
	Platform   string `json:"platform"`
}

// Config configures a Server. Store is required; every other field has a
// working default.
type Config struct {
	// Store is where objects live. The server is its only user.
	Store store.Store
	// Authenticator identifies callers; nil lets every request in as an
	// admin (tests and embedded single-user use only).
	Authenticator authn.Authenticator
	// Authorizer decides on requests; nil allows everything, unless
	// Authorization is "RBAC".
	Authorizer authz.Authorizer
	// Authorization "RBAC" authorizes with the server's own roles and
	// bindings (and Authorizer, if set, is asked first).
	Authorization string
	// Admission is the admission chain; nil has no plugins.
	Admission *admission.Chain
	// Strategies override or extend the built-in strategy of a kind.
	Strategies map[meta.GroupVersionKind]*Strategy
	// Transformers encrypt resources at rest, by group resource (e.g.
	// {Resource: "secrets"}).
	Transformers map[apierror.GroupResource]storage.Transformer
	// Cache tunes the watch cache.
	Cache *storage.Options
	// MaxRequestBytes caps request bodies (413 beyond). Default 3 MiB.
	MaxRequestBytes int64
	// MaxInFlight and MaxMutatingInFlight cap concurrent non-mutating and
	// mutating requests (429 beyond; long-running watches don't count).
	MaxInFlight, MaxMutatingInFlight int
	// ServiceCIDR is the range Services' ClusterIPs come from (default
	// DefaultServiceCIDR); NodePortRange the node ports ("30000-32767").
	ServiceCIDR, NodePortRange string
	// RootCAData is the cluster CA bundle published in every namespace as
	// the kube-root-ca.crt ConfigMap and mounted into pods with their
	// service account token (NewSecure sets it).
	RootCAData []byte
	// KubeletTLS is the client TLS configuration used to reach kubelets for
	// pods/log and pods/exec (the server's client certificate and the CA
	// that signed the kubelets' serving certificates).
	KubeletTLS *tls.Config
	// Metrics, if set, receives the server's Prometheus metrics, and
	// /metrics serves MetricsGatherer (default: the registry itself when it
	// is a *prometheus.Registry).
	Metrics         prometheus.Registerer
	MetricsGatherer prometheus.Gatherer
	// AuditLog, if set, receives one JSON audit event per request.
	AuditLog io.Writer
	// CompactionInterval is how often the server compacts the store's
	// history (see Server.Start); default DefaultCompactionInterval,
	// negative never (when something else compacts the store).
	CompactionInterval time.Duration
	// Logger receives diagnostics. Default slog.Default().
	Logger *slog.Logger
}

// Server is the Longshore API server: Kubernetes' REST API over a
// store.Store. It is an http.Handler; Serve runs it on a listener with TLS.
type Server struct {
	cfg    Config
	log    *slog.Logger
	scheme *api.Scheme
	cacher *storage.Cacher

	mu        sync.RWMutex
	resources map[meta.GroupVersionResource]*resource
	byKind    map[meta.GroupVersionKind]*resource

	inflight, mutating chan struct{}
	nonResource        map[string]http.HandlerFunc
	started            chan struct{}
	tokens             *authn.ServiceAccounts
	admission          *admission.Chain
	metrics            *metrics
	audit              *auditLog
	alloc              *serviceAllocator
	ready              chan struct{}
	readyOnce          sync.Once
}

// kindFuncs are what the handlers need of a kind: built-in kinds take them
// from the api scheme, custom resources from their definition.
type kindFuncs struct {
	// New returns an empty object with apiVersion and kind set.
	New func() meta.Object
	// Default applies defaults in place.
	Default func(meta.Object)
	// Fields returns the fields field selectors may use.
	Fields func(meta.Object) fields.Set
	// Unknown, if set, removes the fields the kind's schema does not
	// declare and returns their paths (custom resources; built-in kinds
	// find unknown fields while decoding).
	Unknown    func(meta.Object) []string
	ShortNames []string
	Categories []string
}

func builtinKind(k *api.Kind) *kindFuncs {
	return &kindFuncs{New: k.New, Default: k.Default, Fields: k.Fields, ShortNames: k.ShortNames}
}

// resource is one served resource.
type resource struct {
	kind       *kindFuncs
	gvr        meta.GroupVersionResource
	gvk        meta.GroupVersionKind
	listGVK    meta.GroupVersionKind
	namespaced bool
	prefix     string
	store      *storage.Resource
	strategy   *Strategy
	// subresources served besides status.
	scale bool
	verbs []string
	// printer renders Table rows; nil gives Name and Age.
	printer *Printer
	// crdScale locates replicas in a custom resource with a scale
	// subresource.
	crdScale   *apiextensions.CustomResourceSubresourceScale
	categories []string
}

func (r *resource) gr() apierror.GroupResource {
	return apierror.GroupResource{Group: r.gvr.Group, Resource: r.gvr.Resource}
}

// key returns the store key of an object.
func (r *resource) key(namespace, name string) string {
	if r.namespaced {
		return r.prefix + namespace + "/" + name
	}
	return r.prefix + name
}

// listPrefix returns the key prefix of a list in namespace ("" for all).
func (r *resource) listPrefix(namespace string) string {
	if r.namespaced && namespace != "" {
		return r.prefix + namespace + "/"
	}
	return r.prefix
}

// New returns a Server for cfg. Call Run (or Start) before serving.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("apiserver: Config.Store is required")
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MaxMutatingInFlight <= 0 {
		cfg.MaxMutatingInFlight = DefaultMaxMutatingInFlight
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CompactionInterval == 0 {
		cfg.CompactionInterval = DefaultCompactionInterval
	}
	var m *metrics
	if cfg.Metrics != nil {
		gather := cfg.MetricsGatherer
		if gather == nil {
			if g, ok := cfg.Metrics.(prometheus.Gatherer); ok {
				gather = g
			} else {
				return nil, errors.New("apiserver: Config.Metrics needs a MetricsGatherer")
			}
		}
		m = newMetrics(cfg.Metrics, gather)
		cfg.Store = timedStore{Store: cfg.Store, h: m.storeTime}
	}
	cacheOpts := storage.Options{}
	if cfg.Cache != nil {
		cacheOpts = *cfg.Cache
	}
	if cacheOpts.Logger == nil {
		cacheOpts.Logger = cfg.Logger
	}
	s := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		scheme:    api.NewBuiltinScheme(),
		cacher:    storage.NewCacher(cfg.Store, &cacheOpts),
		resources: map[meta.GroupVersionResource]*resource{},
		byKind:    map[meta.GroupVersionKind]*resource{},
		inflight:  make(chan struct{}, cfg.MaxInFlight),
		mutating:  make(chan struct{}, cfg.MaxMutatingInFlight),
		started:   make(chan struct{}),
		ready:     make(chan struct{}),
		metrics:   m,
	}
	if cfg.AuditLog != nil {
		s.audit = &auditLog{w: cfg.AuditLog}
	}
	// Service account tokens can be issued by every server: an ephemeral
	// key here, the persistent one of the PKI with NewSecure.
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	s.tokens = authn.NewServiceAccounts(saKey, authn.ServiceAccountOptions{Lookup: s.checkServiceAccount})
	alloc, err := newServiceAllocator(cfg.Store, cfg.ServiceCIDR, cfg.NodePortRange)
	if err != nil {
		return nil, err
	}
	s.alloc = alloc
	for _, k := range s.scheme.Kinds() {
		if k.GVR.Resource == "" || !k.HasList() {
			continue // served only as a subresource body (Scale, Binding)
		}
		var strat *Strategy
		if k.GVR == crdGVR {
			strat = crdStrategy()
		}
		if err := s.addResource(context.Background(), k.GVK, k.GVR, k.Namespaced, builtinKind(k), strat); err != nil {
			return nil, err
		}
	}
	s.admission = &admission.Chain{Mutators: []admission.Mutator{builtinAdmission{s}}}
	if cfg.Admission != nil {
		s.admission.Mutators = append(s.admission.Mutators, cfg.Admission.Mutators...)
		s.admission.Validators = cfg.Admission.Validators
	}
	switch cfg.Authorization {
	case "", "AlwaysAllow":
	case "RBAC":
		if cfg.Authorizer != nil {
			s.cfg.Authorizer = authz.Chain{cfg.Authorizer, s.RBAC()}
		} else {
			s.cfg.Authorizer = s.RBAC()
		}
	default:
		return nil, fmt.Errorf("apiserver: unknown authorization mode %q", cfg.Authorization)
	}
	s.initNonResource()
	return s, nil
}

// storagePrefix is where a resource's objects live in the store.
func storagePrefix(gvr meta.GroupVersionResource) string {
	if gvr.Group == "" {
		return "/registry/" + gvr.Resource + "/"
	}
	return "/registry/" + gvr.Group + "/" + gvr.Resource + "/"
}

// addResource registers a resource with the cache and the router.
func (s *Server) addResource(ctx context.Context, gvk meta.GroupVersionKind, gvr meta.GroupVersionResource, namespaced bool, kind *kindFuncs, strat *Strategy) error {
	prefix := storagePrefix(gvr)
	if strat == nil {
		strat = builtinStrategy(gvk)
	}
	if o, ok := s.cfg.Strategies[gvk]; ok {
		strat = o
	}
	cfg := storage.ResourceConfig{Prefix: prefix, GVK: gvk, New: kind.New,
		Transformer: s.cfg.Transformers[apierror.GroupResource{Group: gvr.Group, Resource: gvr.Resource}],
		// What selectorPredicate looks at, for the objects the cache
		// keeps as JSON only.
		Attrs: func(obj meta.Object) storage.Attrs {
			return storage.Attrs{Labels: storage.NewAttrSet(obj.GetObjectMeta().Labels), Fields: storage.NewAttrSet(kind.Fields(obj))}
		}}
	sr, err := s.cacher.Register(ctx, cfg)
	if err != nil {
		return fmt.Errorf("register %s: %w", gvr, err)
	}
	listGVK := gvk
	listGVK.Kind += "List"
	r := &resource{
		kind: kind, gvr: gvr, gvk: gvk, listGVK: listGVK, namespaced: namespaced,
		prefix: prefix, store: sr, strategy: strat,
		scale:      hasScale(gvk),
		verbs:      []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"},
		printer:    printers[gvk],
		categories: kind.Categories,
	}
	s.mu.Lock()
	s.resources[gvr] = r
	s.byKind[gvk] = r
	s.mu.Unlock()
	return nil
}

// removeResource stops serving a resource (a deleted custom resource).
func (s *Server) removeResource(gvr meta.GroupVersionResource) {
	s.mu.Lock()
	r, ok := s.resources[gvr]
	if ok {
		delete(s.resources, gvr)
		delete(s.byKind, r.gvk)
	}
	s.mu.Unlock()
	if ok {
		s.cacher.Unregister(r.prefix)
	}
}

func (s *Server) lookup(gvr meta.GroupVersionResource) (*resource, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.resources[gvr]
	return r, ok
}

func (s *Server) lookupKind(gvk meta.GroupVersionKind) (*resource, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byKind[gvk]
	return r, ok
}

// sortedResources returns the served resources in a stable order.
func (s *Server) sortedResources() []*resource {
	s.mu.RLock()
	out := make([]*resource, 0, len(s.resources))
	for _, r := range s.resources {
		out = append(out, r)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].gvr, out[j].gvr
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Resource < b.Resource
	})
	return out
}

// Start runs the watch cache and the bootstrap in the background and
// returns once the server can answer requests, or with an error. Until ctx
// ends it also compacts the store's history every CompactionInterval, up to
// the revision of the previous interval, as kube-apiserver does: one
// interval of history stays readable (continue tokens, watches resuming
// from a recent resourceVersion), older revisions answer 410 Gone, and the
// store stops growing with every write ever made. Several servers on one
// store take turns, so it is compacted once per interval.
func (s *Server) Start(ctx context.Context) error {
	go func() {
		if err := s.cacher.Run(ctx); err != nil {
			s.log.Error("watch cache stopped", "err", err)
		}
	}()
	select {
	case <-s.cacher.Ready():
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := s.bootstrap(ctx); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if err := s.bootstrapRBAC(ctx); err != nil {
		return fmt.Errorf("bootstrap rbac: %w", err)
	}
	if err := s.runCRDs(ctx); err != nil {
		return fmt.Errorf("custom resources: %w", err)
	}
	if s.cfg.CompactionInterval > 0 {
		go newCompactor(s.cfg.Store, s.log).run(ctx, s.cfg.CompactionInterval)
	}
	s.readyOnce.Do(func() { close(s.ready) })
	return nil
}

// Ready is closed once Start has succeeded.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// SystemNamespaces exist from the start, as in Kubernetes.
var SystemNamespaces = []string{"default", "kube-system", "kube-public", "kube-node-lease"}

// bootstrap creates the system namespaces if they are missing.
func (s *Server) bootstrap(ctx context.Context) error {
	r, ok := s.lookup(meta.GroupVersionResource{Version: "v1", Resource: "namespaces"})
	if !ok {
		return errors.New("namespaces are not served")
	}
	for _, name := range SystemNamespaces {
		ns := &core.Namespace{ObjectMeta: meta.ObjectMeta{Name: name}}
		if _, err := s.createObject(ctx, r, "", ns, createParams{}); err != nil && !apierror.IsAlreadyExists(err) {
			return fmt.Errorf("namespace %s: %w", name, err)
		}
		s.namespaceCreated(ctx, name)
	}
	if err := s.bootstrapKubernetesService(ctx); err != nil {
		return err
	}
	pcs, _ := s.lookup(gvrPriorityClasses)
	for _, pc := range scheduling.SystemClasses() {
		if _, err := s.createObject(ctx, pcs, "", pc, createParams{}); err != nil && !apierror.IsAlreadyExists(err) {
			return fmt.Errorf("priority class %s: %w", pc.Name, err)
		}
	}
	return nil
}

// Serve serves the API on ln with TLS (tlsConfig non-nil) or plain HTTP,
// until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		return nil
	}
}

// ServeHTTP implements http.Handler: authentication, authorization,
// limits, then the resource or non-resource handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic serving request", "path", r.URL.Path, "panic", p)
			writeError(w, r, apierror.NewInternal(fmt.Errorf("panic: %v", p)))
		}
	}()
	info, err := ParseRequestInfo(r)
	if err != nil {
		writeError(w, r, apierror.NewBadRequest(err.Error()))
		return
	}
	if s.metrics != nil || s.audit != nil {
		rec := &statusRecorder{ResponseWriter: w}
		w = rec
		start := time.Now()
		defer func() { s.observe(r, info, rec.code, start) }()
	}
	user, err := s.authenticate(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	ctx := authn.WithUser(r.Context(), user)
	r = r.WithContext(ctx)
	if err := s.authorize(ctx, user, info); err != nil {
		writeError(w, r, err)
		return
	}
	if !info.IsResourceRequest {
		s.serveNonResource(w, r, info)
		return
	}
	if info.Verb != "watch" && !(info.Verb == "get" && (info.Subresource == "log" || info.Subresource == "exec" || info.Subresource == "attach")) {
		limit := s.inflight
		if info.Verb != "get" && info.Verb != "list" {
			limit = s.mutating
		}
		select {
		case limit <- struct{}{}:
			defer func() { <-limit }()
		default:
			w.Header().Set("Retry-After", "1")
			writeError(w, r, apierror.NewTooManyRequests("Too many requests, please try again later.", 1))
			return
		}
	}
	select {
	case <-s.ready:
	default:
		writeError(w, r, apierror.NewServiceUnavailable("the API server is starting"))
		return
	}
	if s.serveAccessReview(w, r, info) {
		return
	}
	s.serveResource(w, r, info)
}

func (s *Server) authenticate(r *http.Request) (*authn.User, error) {
	if s.cfg.Authenticator == nil {
		return &authn.User{Name: "longshore-admin", Groups: []string{authn.GroupMasters, authn.GroupAuthenticated}}, nil
	}
	u, ok, err := s.cfg.Authenticator.Authenticate(r)
	if err != nil {
		return nil, apierror.NewUnauthorized("Unauthorized")
	}
	if !ok {
		return &authn.User{Name: authn.UserAnonymous, Groups: []string{authn.GroupUnauthenticated}}, nil
	}
	return u, nil
}

// publicPaths are open to anonymous users, as Kubernetes' default
// system:public-info-viewer role opens them.
var publicPaths = map[string]bool{"/healthz": true, "/livez": true, "/readyz": true, "/version": true}

func (s *Server) authorize(ctx context.Context, u *authn.User, info *RequestInfo) error {
	if u.Name == authn.UserAnonymous && !(publicPaths[info.Path] || strings.HasPrefix(info.Path, "/healthz/") || strings.HasPrefix(info.Path, "/livez/") || strings.HasPrefix(info.Path, "/readyz/")) {
		if s.cfg.Authenticator != nil {
			return apierror.NewUnauthorized("Unauthorized")
		}
	}
	if s.cfg.Authorizer == nil {
		return nil
	}
	attrs := authz.Attributes{
		User: u, Verb: info.Verb, IsResourceRequest: info.IsResourceRequest,
		Namespace: info.Namespace, APIGroup: info.APIGroup, APIVersion: info.APIVersion,
		Resource: info.Resource, Subresource: info.Subresource, Name: info.Name, Path: info.Path,
	}
	d, reason, err := s.cfg.Authorizer.Authorize(ctx, attrs)
	if err != nil {
		return apierror.NewInternal(err)
	}
	if d == authz.Allow {
		return nil
	}
	if !info.IsResourceRequest {
		return apierror.New(http.StatusForbidden, meta.StatusReasonForbidden,
			fmt.Sprintf("forbidden: User %q cannot %s path %q", u.Name, info.Verb, info.Path), nil)
	}
	res := info.Resource
	if info.Subresource != "" {
		res += "/" + info.Subresource
	}
	msg := fmt.Sprintf("User %q cannot %s resource %q in API group %q", u.Name, info.Verb, res, info.APIGroup)
	if info.Namespace != "" {
		msg += fmt.Sprintf(" in the namespace %q", info.Namespace)
	} else {
		msg += " at the cluster scope"
	}
	if reason != "" {
		msg += ": " + reason
	}
	return apierror.NewForbidden(apierror.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Name, msg)
}
