package garbagecollector

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
)

// The discovery documents, as much of them as the collector reads.
type groupList struct {
	Groups []struct {
		Name             string `json:"name"`
		PreferredVersion struct {
			GroupVersion string `json:"groupVersion"`
			Version      string `json:"version"`
		} `json:"preferredVersion"`
	} `json:"groups"`
}

type resourceList struct {
	GroupVersion string `json:"groupVersion"`
	Resources    []struct {
		Name       string   `json:"name"`
		Namespaced bool     `json:"namespaced"`
		Kind       string   `json:"kind"`
		Verbs      []string `json:"verbs"`
	} `json:"resources"`
}

// skipped resources are never owners nor dependents worth the cost of
// watching them: events churn, and the rest cannot be listed.
var skipped = map[string]bool{"events": true, "events.events.k8s.io": true, "bindings": true,
	"tokenreviews.authentication.k8s.io": true, "subjectaccessreviews.authorization.k8s.io": true,
	"selfsubjectaccessreviews.authorization.k8s.io": true, "localsubjectaccessreviews.authorization.k8s.io": true,
	"selfsubjectrulesreviews.authorization.k8s.io": true, "componentstatuses": true}

// Discover returns the resources the server serves (the preferred version
// of each group, from /api/v1 and /apis/{group}/{version}) that can be
// listed, watched and deleted, minus events. Subresources are left out.
func Discover(ctx context.Context, c *client.Client) ([]client.GVR, error) {
	paths := []string{"/api/v1"}
	var gl groupList
	if err := getJSON(ctx, c, "/apis", &gl); err != nil {
		return nil, err
	}
	for _, g := range gl.Groups {
		paths = append(paths, "/apis/"+g.PreferredVersion.GroupVersion)
	}
	var out []client.GVR
	for _, p := range paths {
		var rl resourceList
		if err := getJSON(ctx, c, p, &rl); err != nil {
			return nil, err
		}
		gv, err := meta.ParseGroupVersion(rl.GroupVersion)
		if err != nil {
			return nil, fmt.Errorf("garbagecollector: discovery %s: %w", p, err)
		}
		for _, r := range rl.Resources {
			full := r.Name
			if gv.Group != "" {
				full += "." + gv.Group
			}
			if strings.Contains(r.Name, "/") || skipped[full] ||
				!slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "watch") || !slices.Contains(r.Verbs, "delete") {
				continue
			}
			out = append(out, client.GVR{GroupVersionResource: gv.WithResource(r.Name), Kind: r.Kind, Namespaced: r.Namespaced})
		}
	}
	return out, nil
}

func getJSON(ctx context.Context, c *client.Client, path string, v any) error {
	resp, err := c.Do(ctx, &client.Request{Method: http.MethodGet, Path: path})
	if err != nil {
		return fmt.Errorf("garbagecollector: discovery %s: %w", path, err)
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return fmt.Errorf("garbagecollector: discovery %s: %w", path, err)
	}
	return nil
}
