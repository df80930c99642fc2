package client

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Kubeconfig is kubectl's configuration file format (v1).
type Kubeconfig struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Clusters       []NamedCluster `json:"clusters"`
	Users          []NamedUser    `json:"users"`
	Contexts       []NamedContext `json:"contexts"`
	CurrentContext string         `json:"current-context"`
	Preferences    map[string]any `json:"preferences,omitempty"`
}

// NamedCluster is a cluster entry.
type NamedCluster struct {
	Name    string      `json:"name"`
	Cluster ClusterInfo `json:"cluster"`
}

// ClusterInfo says where a cluster is and how to trust it.
type ClusterInfo struct {
	Server                   string `json:"server"`
	CertificateAuthority     string `json:"certificate-authority,omitempty"`
	CertificateAuthorityData string `json:"certificate-authority-data,omitempty"`
	InsecureSkipTLSVerify    bool   `json:"insecure-skip-tls-verify,omitempty"`
	TLSServerName            string `json:"tls-server-name,omitempty"`
}

// NamedUser is a user entry.
type NamedUser struct {
	Name string   `json:"name"`
	User AuthInfo `json:"user"`
}

// AuthInfo holds a user's credentials.
type AuthInfo struct {
	ClientCertificate     string `json:"client-certificate,omitempty"`
	ClientCertificateData string `json:"client-certificate-data,omitempty"`
	ClientKey             string `json:"client-key,omitempty"`
	ClientKeyData         string `json:"client-key-data,omitempty"`
	Token                 string `json:"token,omitempty"`
	TokenFile             string `json:"tokenFile,omitempty"`
}

// NamedContext is a context entry.
type NamedContext struct {
	Name    string  `json:"name"`
	Context Context `json:"context"`
}

// Context binds a cluster, a user and a default namespace.
type Context struct {
	Cluster   string `json:"cluster"`
	User      string `json:"user"`
	Namespace string `json:"namespace,omitempty"`
}

// ErrKubeconfig is wrapped by every kubeconfig error.
var ErrKubeconfig = errors.New("client: invalid kubeconfig")

// LoadKubeconfig reads a kubeconfig file and returns the Config of the named
// context ("" for the current context). Relative file paths inside it are
// resolved against the file's directory, as kubectl does.
func LoadKubeconfig(path, context string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	var kc Kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKubeconfig, path, err)
	}
	return kc.ConfigFor(context, filepath.Dir(path))
}

// ConfigFor resolves a context into a client Config; dir resolves relative
// file paths.
func (kc *Kubeconfig) ConfigFor(context, dir string) (*Config, error) {
	if context == "" {
		context = kc.CurrentContext
	}
	if context == "" {
		return nil, fmt.Errorf("%w: no context given and no current-context", ErrKubeconfig)
	}
	var ctx *Context
	for i := range kc.Contexts {
		if kc.Contexts[i].Name == context {
			ctx = &kc.Contexts[i].Context
		}
	}
	if ctx == nil {
		return nil, fmt.Errorf("%w: context %q not found", ErrKubeconfig, context)
	}
	var cl *ClusterInfo
	for i := range kc.Clusters {
		if kc.Clusters[i].Name == ctx.Cluster {
			cl = &kc.Clusters[i].Cluster
		}
	}
	if cl == nil {
		return nil, fmt.Errorf("%w: cluster %q of context %q not found", ErrKubeconfig, ctx.Cluster, context)
	}
	cfg := &Config{Host: cl.Server, Insecure: cl.InsecureSkipTLSVerify, Namespace: ctx.Namespace}
	var err error
	if cfg.CAData, err = dataOrFile(cl.CertificateAuthorityData, cl.CertificateAuthority, dir); err != nil {
		return nil, err
	}
	if ctx.User != "" {
		var u *AuthInfo
		for i := range kc.Users {
			if kc.Users[i].Name == ctx.User {
				u = &kc.Users[i].User
			}
		}
		if u == nil {
			return nil, fmt.Errorf("%w: user %q of context %q not found", ErrKubeconfig, ctx.User, context)
		}
		if cfg.CertData, err = dataOrFile(u.ClientCertificateData, u.ClientCertificate, dir); err != nil {
			return nil, err
		}
		if cfg.KeyData, err = dataOrFile(u.ClientKeyData, u.ClientKey, dir); err != nil {
			return nil, err
		}
		cfg.BearerToken = u.Token
		if cfg.BearerToken == "" && u.TokenFile != "" {
			tok, err := os.ReadFile(resolve(u.TokenFile, dir))
			if err != nil {
				return nil, fmt.Errorf("%w: token file: %v", ErrKubeconfig, err)
			}
			cfg.BearerToken = strings.TrimSpace(string(tok))
		}
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	return cfg, nil
}

func resolve(p, dir string) string {
	if p == "" || filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

func dataOrFile(data, file, dir string) ([]byte, error) {
	if data != "" {
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("%w: bad base64 data: %v", ErrKubeconfig, err)
		}
		return b, nil
	}
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(resolve(file, dir))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKubeconfig, err)
	}
	return b, nil
}

// NewKubeconfig returns a single-context kubeconfig for cfg, with the
// certificates embedded, named name (cluster, user and context).
func NewKubeconfig(name string, cfg *Config) *Kubeconfig {
	enc := func(b []byte) string {
		if len(b) == 0 {
			return ""
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	return &Kubeconfig{
		APIVersion: "v1",
		Kind:       "Config",
		Clusters: []NamedCluster{{Name: name, Cluster: ClusterInfo{
			Server: cfg.Host, CertificateAuthorityData: enc(cfg.CAData), InsecureSkipTLSVerify: cfg.Insecure}}},
		Users: []NamedUser{{Name: name, User: AuthInfo{
			ClientCertificateData: enc(cfg.CertData), ClientKeyData: enc(cfg.KeyData), Token: cfg.BearerToken}}},
		Contexts:       []NamedContext{{Name: name, Context: Context{Cluster: name, User: name, Namespace: cfg.Namespace}}},
		CurrentContext: name,
	}
}

// Write stores the kubeconfig at path with mode 0600 (it holds
// credentials), creating the directory if needed.
func (kc *Kubeconfig) Write(path string) error {
	data, err := yaml.Marshal(kc)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	return os.Rename(tmp, path)
}
