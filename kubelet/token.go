package kubelet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/longshore/longshore/api/authentication"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/client"
)

// tokenCache keeps the service account tokens of projected volumes and
// asks for a new one when 80 % of a token's lifetime has passed, as
// Kubernetes' kubelet does.
type tokenCache struct {
	mu     sync.Mutex
	tokens map[string]cachedToken // by pod UID, audience, path
}

type cachedToken struct {
	token           string
	issued, expires time.Time
}

func (t cachedToken) fresh(now time.Time) bool {
	return t.token != "" && now.Before(t.issued.Add(t.expires.Sub(t.issued)*8/10))
}

// token returns a bound token for the pod's service account.
func (k *Kubelet) token(ctx context.Context, pod *core.Pod, p *core.ServiceAccountTokenProjection) (string, error) {
	key := pod.UID + "/" + p.Audience + "/" + p.Path
	k.tokens.mu.Lock()
	t, ok := k.tokens.tokens[key]
	k.tokens.mu.Unlock()
	now := time.Now()
	if ok && t.fresh(now) {
		return t.token, nil
	}
	exp := int64(3600)
	if p.ExpirationSeconds != nil {
		exp = *p.ExpirationSeconds
	}
	tr := authentication.NewTokenRequest()
	if p.Audience != "" {
		tr.Spec.Audiences = []string{p.Audience}
	}
	tr.Spec.ExpirationSeconds = &exp
	tr.Spec.BoundObjectRef = &authentication.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID}
	body, err := json.Marshal(tr)
	if err != nil {
		return "", err
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	path := fmt.Sprintf("/api/v1/namespaces/%s/serviceaccounts/%s/token", url.PathEscape(pod.Namespace), url.PathEscape(sa))
	resp, err := k.c.Do(ctx, &client.Request{Method: http.MethodPost, Path: path, Body: body})
	if err != nil {
		return "", fmt.Errorf("request token for %s/%s: %w", pod.Namespace, sa, err)
	}
	var out authentication.TokenRequest
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return "", fmt.Errorf("decode token: %w", err)
	}
	t = cachedToken{token: out.Status.Token, issued: now, expires: out.Status.ExpirationTimestamp.Time}
	if t.expires.IsZero() || !t.expires.After(now) {
		t.expires = now.Add(time.Duration(exp) * time.Second)
	}
	k.tokens.mu.Lock()
	k.tokens.tokens[key] = t
	k.tokens.mu.Unlock()
	return t.token, nil
}

// forgetTokens drops the cached tokens of a pod.
func (k *Kubelet) forgetTokens(uid string) {
	k.tokens.mu.Lock()
	defer k.tokens.mu.Unlock()
	for key := range k.tokens.tokens {
		if len(key) > len(uid) && key[:len(uid)+1] == uid+"/" {
			delete(k.tokens.tokens, key)
		}
	}
}

// projectedFiles gathers the files of a projected volume.
func (k *Kubelet) projectedFiles(ctx context.Context, pod *core.Pod, v *core.ProjectedVolumeSource) (map[string]volumeFile, error) {
	files := map[string]volumeFile{}
	add := func(more map[string]volumeFile) {
		for p, f := range more {
			files[p] = f
		}
	}
	mode := v.DefaultMode
	for _, s := range v.Sources {
		switch {
		case s.ServiceAccountToken != nil:
			tok, err := k.token(ctx, pod, s.ServiceAccountToken)
			if err != nil {
				return nil, err
			}
			m := os0644
			if mode != nil {
				m = fileMode(*mode)
			}
			files[s.ServiceAccountToken.Path] = volumeFile{[]byte(tok), m}
		case s.ConfigMap != nil:
			cm, err := k.configMap(ctx, pod.Namespace, s.ConfigMap.Name)
			if err != nil {
				if optional(s.ConfigMap.Optional) {
					continue
				}
				return nil, fmt.Errorf("configmap %q: %w", s.ConfigMap.Name, err)
			}
			f, err := keyFiles(stringData(cm.Data, cm.BinaryData), s.ConfigMap.Items, mode, optional(s.ConfigMap.Optional))
			if err != nil {
				return nil, err
			}
			add(f)
		case s.Secret != nil:
			sec, err := k.secret(ctx, pod.Namespace, s.Secret.Name)
			if err != nil {
				if optional(s.Secret.Optional) {
					continue
				}
				return nil, fmt.Errorf("secret %q: %w", s.Secret.Name, err)
			}
			f, err := keyFiles(sec.Data, s.Secret.Items, mode, optional(s.Secret.Optional))
			if err != nil {
				return nil, err
			}
			add(f)
		case s.DownwardAPI != nil:
			f, err := k.downwardFiles(pod, s.DownwardAPI.Items, mode)
			if err != nil {
				return nil, err
			}
			add(f)
		}
	}
	return files, nil
}
