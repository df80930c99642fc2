package apiserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/longshore/longshore/api/meta"
)

// Aggregated discovery (apidiscovery.k8s.io/v2): /api and /apis answer with
// every group, version and resource in one document when the client asks
// for it, as kubectl 1.32 does; other clients get the classic documents.

const aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

type discoveryGroup struct {
	Metadata meta.ObjectMeta    `json:"metadata"`
	Versions []discoveryVersion `json:"versions"`
}

type discoveryVersion struct {
	Version   string              `json:"version"`
	Resources []discoveryResource `json:"resources"`
	Freshness string              `json:"freshness"`
}

type discoveryResource struct {
	Resource         string                 `json:"resource"`
	ResponseKind     *gvkJSON               `json:"responseKind"`
	Scope            string                 `json:"scope"`
	SingularResource string                 `json:"singularResource"`
	Verbs            []string               `json:"verbs"`
	ShortNames       []string               `json:"shortNames,omitempty"`
	Categories       []string               `json:"categories,omitempty"`
	Subresources     []discoverySubresource `json:"subresources,omitempty"`
}

type discoverySubresource struct {
	Subresource  string   `json:"subresource"`
	ResponseKind *gvkJSON `json:"responseKind"`
	Verbs        []string `json:"verbs"`
}

// gvkJSON is a GroupVersionKind with Kubernetes' lower-case JSON names
// (clients decode discovery case-sensitively).
type gvkJSON struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// wantsAggregated reports whether the client accepts aggregated discovery.
func wantsAggregated(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(part, "g=apidiscovery.k8s.io") && strings.Contains(part, "v=v2") && strings.Contains(part, "as=APIGroupDiscoveryList") {
			return true
		}
	}
	return false
}

// aggregated builds the document for the core group (legacy) or the named
// groups, from the same resource lists as the classic documents.
func (s *Server) aggregated(legacy bool) []discoveryGroup {
	var groups []struct{ name, version string }
	if legacy {
		groups = append(groups, struct{ name, version string }{"", "v1"})
	} else {
		for _, g := range s.groups() {
			for _, v := range g.Versions {
				groups = append(groups, struct{ name, version string }{g.Name, v.Version})
			}
		}
	}
	var out []discoveryGroup
	for _, g := range groups {
		l, ok := s.resourceList(g.name, g.version)
		if !ok {
			continue
		}
		dv := discoveryVersion{Version: g.version, Freshness: "Current"}
		index := map[string]int{}
		for _, r := range l.Resources {
			name, sub, isSub := strings.Cut(r.Name, "/")
			kindGroup, kindVersion := g.name, g.version
			if r.Group != "" || r.Version != "" {
				kindGroup, kindVersion = r.Group, r.Version
			}
			kind := &gvkJSON{Group: kindGroup, Version: kindVersion, Kind: r.Kind}
			if isSub {
				if i, ok := index[name]; ok {
					dv.Resources[i].Subresources = append(dv.Resources[i].Subresources,
						discoverySubresource{Subresource: sub, ResponseKind: kind, Verbs: r.Verbs})
				}
				continue
			}
			scope := "Cluster"
			if r.Namespaced {
				scope = "Namespaced"
			}
			index[name] = len(dv.Resources)
			dv.Resources = append(dv.Resources, discoveryResource{Resource: r.Name, ResponseKind: kind, Scope: scope,
				SingularResource: r.SingularName, Verbs: r.Verbs, ShortNames: r.ShortNames, Categories: r.Categories})
		}
		// Versions of one group share one entry.
		if n := len(out); n > 0 && out[n-1].Metadata.Name == g.name && !legacy {
			out[n-1].Versions = append(out[n-1].Versions, dv)
			continue
		}
		out = append(out, discoveryGroup{Metadata: meta.ObjectMeta{Name: g.name}, Versions: []discoveryVersion{dv}})
	}
	return out
}

// serveAggregated answers /api or /apis with aggregated discovery.
func (s *Server) serveAggregated(w http.ResponseWriter, legacy bool) {
	doc := map[string]any{
		"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
		"metadata": map[string]any{}, "items": s.aggregated(legacy),
	}
	data, err := json.Marshal(doc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", aggregatedContentType)
	w.Write(data)
}
