package apiserver

import (
	"net/http"
	"sort"
	"strings"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/meta"
)

// Discovery documents, with Kubernetes' JSON.

// APIVersions is the body of /api.
type APIVersions struct {
	Kind                       string                      `json:"kind"`
	Versions                   []string                    `json:"versions"`
	ServerAddressByClientCIDRs []ServerAddressByClientCIDR `json:"serverAddressByClientCIDRs"`
}

// ServerAddressByClientCIDR tells clients in a network which address to use.
type ServerAddressByClientCIDR struct {
	ClientCIDR    string `json:"clientCIDR"`
	ServerAddress string `json:"serverAddress"`
}

// APIGroupList is the body of /apis.
type APIGroupList struct {
	Kind       string     `json:"kind"`
	APIVersion string     `json:"apiVersion"`
	Groups     []APIGroup `json:"groups"`
}

// APIGroup describes one group and its versions.
type APIGroup struct {
	Kind                       string                      `json:"kind,omitempty"`
	APIVersion                 string                      `json:"apiVersion,omitempty"`
	Name                       string                      `json:"name"`
	Versions                   []GroupVersionForDiscovery  `json:"versions"`
	PreferredVersion           GroupVersionForDiscovery    `json:"preferredVersion"`
	ServerAddressByClientCIDRs []ServerAddressByClientCIDR `json:"serverAddressByClientCIDRs,omitempty"`
}

// GroupVersionForDiscovery names a group version.
type GroupVersionForDiscovery struct {
	GroupVersion string `json:"groupVersion"`
	Version      string `json:"version"`
}

// APIResourceList is the body of /api/v1 and /apis/{group}/{version}.
type APIResourceList struct {
	Kind         string        `json:"kind"`
	APIVersion   string        `json:"apiVersion"`
	GroupVersion string        `json:"groupVersion"`
	Resources    []APIResource `json:"resources"`
}

// APIResource describes one resource or subresource.
type APIResource struct {
	Name               string   `json:"name"`
	SingularName       string   `json:"singularName"`
	Namespaced         bool     `json:"namespaced"`
	Group              string   `json:"group,omitempty"`
	Version            string   `json:"version,omitempty"`
	Kind               string   `json:"kind"`
	Verbs              []string `json:"verbs"`
	ShortNames         []string `json:"shortNames,omitempty"`
	Categories         []string `json:"categories,omitempty"`
	StorageVersionHash string   `json:"storageVersionHash,omitempty"`
}

// allCategory lists the resources `kubectl get all` shows, as Kubernetes
// puts them in the "all" category.
var allCategory = map[string]bool{
	"pods": true, "services": true, "replicationcontrollers": true, "deployments": true,
	"replicasets": true, "statefulsets": true, "daemonsets": true, "jobs": true, "cronjobs": true,
	"horizontalpodautoscalers": true,
}

func (s *Server) initNonResource() {
	ok := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	}
	ready := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.ready:
			ok(w, r)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("[-]startup failed: not ready"))
		}
	}
	s.nonResource = map[string]http.HandlerFunc{
		"/healthz": ready,
		"/livez":   ok,
		"/readyz":  ready,
		"/version": func(w http.ResponseWriter, r *http.Request) { writeJSON(w, r, http.StatusOK, Version) },
		"/api": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, r, http.StatusOK, APIVersions{Kind: "APIVersions", Versions: []string{"v1"},
				ServerAddressByClientCIDRs: []ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}}})
		},
		"/apis": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, r, http.StatusOK, APIGroupList{Kind: "APIGroupList", APIVersion: "v1", Groups: s.groups()})
		},
	}
}

// virtualResources are served (POST only) but not stored.
var virtualResources = []APIResource{
	{Name: "selfsubjectaccessreviews", Group: "authorization.k8s.io", Version: "v1", Kind: "SelfSubjectAccessReview", Verbs: []string{"create"}},
	{Name: "selfsubjectrulesreviews", Group: "authorization.k8s.io", Version: "v1", Kind: "SelfSubjectRulesReview", Verbs: []string{"create"}},
}

// groups lists the named API groups served.
func (s *Server) groups() []APIGroup {
	versions := map[string][]string{}
	for _, v := range virtualResources {
		versions[v.Group] = []string{v.Version}
	}
	for _, r := range s.sortedResources() {
		if r.gvr.Group == "" {
			continue
		}
		vs := versions[r.gvr.Group]
		if len(vs) == 0 || vs[len(vs)-1] != r.gvr.Version {
			versions[r.gvr.Group] = append(vs, r.gvr.Version)
		}
	}
	names := make([]string, 0, len(versions))
	for g := range versions {
		names = append(names, g)
	}
	sort.Strings(names)
	out := make([]APIGroup, 0, len(names))
	for _, g := range names {
		grp := APIGroup{Name: g}
		for _, v := range versions[g] {
			grp.Versions = append(grp.Versions, GroupVersionForDiscovery{GroupVersion: g + "/" + v, Version: v})
		}
		grp.PreferredVersion = grp.Versions[0]
		out = append(out, grp)
	}
	return out
}

// resourceList returns the discovery document of a group version, or
// false if nothing is served there.
func (s *Server) resourceList(group, version string) (*APIResourceList, bool) {
	gv := meta.GroupVersion{Group: group, Version: version}
	out := &APIResourceList{Kind: "APIResourceList", APIVersion: "v1", GroupVersion: gv.String(), Resources: []APIResource{}}
	for _, r := range s.sortedResources() {
		if r.gvr.Group != group || r.gvr.Version != version {
			continue
		}
		ar := APIResource{Name: r.gvr.Resource, SingularName: strings.ToLower(r.gvk.Kind), Namespaced: r.namespaced,
			Kind: r.gvk.Kind, Verbs: r.verbs, ShortNames: r.kind.ShortNames, Categories: r.categories}
		if allCategory[r.gvr.Resource] {
			ar.Categories = append([]string{"all"}, ar.Categories...)
		}
		out.Resources = append(out.Resources, ar)
		sub := func(name, kind string, verbs ...string) {
			out.Resources = append(out.Resources, APIResource{Name: r.gvr.Resource + "/" + name, SingularName: "",
				Namespaced: r.namespaced, Kind: kind, Verbs: verbs})
		}
		if r.strategy.HasStatus {
			sub("status", r.gvk.Kind, "get", "patch", "update")
		}
		if r.scale {
			out.Resources = append(out.Resources, APIResource{Name: r.gvr.Resource + "/scale", Namespaced: true,
				Group: "autoscaling", Version: "v1", Kind: "Scale", Verbs: []string{"get", "patch", "update"}})
		}
		if r.gvr.Group == "" && r.gvr.Resource == "namespaces" {
			sub("finalize", "Namespace", "update")
		}
		if r.gvr.Group == "" && r.gvr.Resource == "serviceaccounts" {
			out.Resources = append(out.Resources, APIResource{Name: "serviceaccounts/token", Namespaced: true,
				Group: "authentication.k8s.io", Version: "v1", Kind: "TokenRequest", Verbs: []string{"create"}})
		}
		if r.gvr.Group == "" && r.gvr.Resource == "pods" {
			sub("binding", "Binding", "create")
			sub("log", "Pod", "get")
			sub("exec", "PodExecOptions", "create", "get")
			sub("attach", "PodAttachOptions", "create", "get")
			sub("portforward", "PodPortForwardOptions", "create", "get")
		}
	}
	for _, v := range virtualResources {
		if v.Group == group && v.Version == version {
			v.Group, v.Version = "", ""
			out.Resources = append(out.Resources, v)
		}
	}
	return out, len(out.Resources) > 0
}

// serveNonResource serves health, version and discovery.
func (s *Server) serveNonResource(w http.ResponseWriter, r *http.Request, info *RequestInfo) {
	if info.Verb != "get" && info.Verb != "head" {
		writeError(w, r, apierror.NewMethodNotAllowed("only GET is supported on "+info.Path))
		return
	}
	p := strings.TrimSuffix(info.Path, "/")
	if s.serveOpenAPI(w, r, p) {
		return
	}
	if p == "/metrics" {
		if s.metrics == nil {
			writeError(w, r, apierror.New(http.StatusNotFound, meta.StatusReasonNotFound, "metrics are not enabled on this server", nil))
			return
		}
		s.metrics.handler.ServeHTTP(w, r)
		return
	}
	if (p == "/api" || p == "/apis") && wantsAggregated(r) {
		s.serveAggregated(w, p == "/api")
		return
	}
	if h, ok := s.nonResource[p]; ok {
		h(w, r)
		return
	}
	for _, prefix := range []string{"/healthz/", "/livez/", "/readyz/"} {
		if strings.HasPrefix(p, prefix) {
			s.nonResource[strings.TrimSuffix(prefix, "/")](w, r)
			return
		}
	}
	parts := splitPath(p)
	switch {
	case len(parts) == 2 && parts[0] == "api":
		if l, ok := s.resourceList("", parts[1]); ok {
			writeJSON(w, r, http.StatusOK, l)
			return
		}
	case len(parts) == 2 && parts[0] == "apis":
		for _, g := range s.groups() {
			if g.Name == parts[1] {
				g.Kind, g.APIVersion = "APIGroup", "v1"
				writeJSON(w, r, http.StatusOK, g)
				return
			}
		}
	case len(parts) == 3 && parts[0] == "apis":
		if l, ok := s.resourceList(parts[1], parts[2]); ok {
			writeJSON(w, r, http.StatusOK, l)
			return
		}
	}
	writeError(w, r, apierror.New(http.StatusNotFound, meta.StatusReasonNotFound, "the server could not find the requested resource", nil))
}
