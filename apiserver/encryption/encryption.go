// Package encryption encrypts resources at rest, configured by the
// EncryptionConfiguration file format of kube-apiserver's
// --encryption-provider-config:
//
//	apiVersion: apiserver.config.k8s.io/v1
//	kind: EncryptionConfiguration
//	resources:
//	- resources: [secrets]
//	  providers:
//	  - aesgcm:
//	      keys:
//	      - {name: key2, secret: <base64 of 16, 24 or 32 bytes>}
//	      - {name: key1, secret: ...}
//	  - identity: {}
//
// The first provider encrypts every write; every provider can read. Stored
// values carry the prefix "k8s:enc:aesgcm:v1:<key name>:", so a key is found
// by name: rotating means adding a new key first, rewriting the objects, then
// dropping the old key. Values written before encryption was enabled have no
// prefix and stay readable as long as the identity provider is listed.
// AES-GCM authenticates the value together with its storage key, so a value
// moved to another key does not decrypt.
package encryption

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/apiserver/storage"
)

var _ storage.Transformer = (*Transformer)(nil)

// ErrInvalidConfig is wrapped by configuration errors.
var ErrInvalidConfig = errors.New("encryption: invalid configuration")

// ErrDecrypt is wrapped by errors reading a stored value.
var ErrDecrypt = errors.New("encryption: cannot decrypt")

// Config is the EncryptionConfiguration file.
type Config struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Resources  []ResourceConfig `json:"resources"`
}

// ResourceConfig applies providers to resources ("secrets",
// "widgets.example.com").
type ResourceConfig struct {
	Resources []string         `json:"resources"`
	Providers []ProviderConfig `json:"providers"`
}

// ProviderConfig is one provider; exactly one field is set.
type ProviderConfig struct {
	AESGCM   *KeysConfig `json:"aesgcm,omitempty"`
	Identity *struct{}   `json:"identity,omitempty"`
}

// KeysConfig lists keys, the first used for writing.
type KeysConfig struct {
	Keys []Key `json:"keys"`
}

// Key is a named AES key, base64-encoded.
type Key struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
}

const prefixAESGCM = "k8s:enc:aesgcm:v1:"

// Transformer encrypts and decrypts one resource's values; it satisfies
// apiserver/storage.Transformer.
type Transformer struct {
	write    *gcmKey // nil: write plaintext (identity first)
	keys     map[string]*gcmKey
	identity bool
}

type gcmKey struct {
	name string
	aead cipher.AEAD
}

// ToStorage encrypts with the first provider.
func (t *Transformer) ToStorage(key string, data []byte) ([]byte, error) {
	if t.write == nil {
		return data, nil
	}
	nonce := make([]byte, t.write.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(prefixAESGCM)+len(t.write.name)+1+len(nonce)+len(data)+t.write.aead.Overhead())
	out = append(out, prefixAESGCM...)
	out = append(out, t.write.name...)
	out = append(out, ':')
	out = append(out, nonce...)
	return t.write.aead.Seal(out, nonce, data, []byte(key)), nil
}

// FromStorage decrypts with the key named in the value's prefix, or returns
// unprefixed (pre-encryption) values when identity is a provider.
func (t *Transformer) FromStorage(key string, data []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(data, []byte(prefixAESGCM))
	if !ok {
		if bytes.HasPrefix(data, []byte("k8s:enc:")) {
			return nil, fmt.Errorf("%w %s: unsupported provider", ErrDecrypt, key)
		}
		if !t.identity {
			return nil, fmt.Errorf("%w %s: value is not encrypted and identity is not a provider", ErrDecrypt, key)
		}
		return data, nil
	}
	name, ct, ok := bytes.Cut(rest, []byte(":"))
	if !ok {
		return nil, fmt.Errorf("%w %s: malformed value", ErrDecrypt, key)
	}
	k, ok := t.keys[string(name)]
	if !ok {
		return nil, fmt.Errorf("%w %s: key %q is not configured", ErrDecrypt, key, name)
	}
	ns := k.aead.NonceSize()
	if len(ct) < ns {
		return nil, fmt.Errorf("%w %s: value too short", ErrDecrypt, key)
	}
	plain, err := k.aead.Open(nil, ct[:ns], ct[ns:], []byte(key))
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrDecrypt, key, err)
	}
	return plain, nil
}

// Parse reads an EncryptionConfiguration and returns a Transformer per
// group resource, ready for apiserver.Config.Transformers.
func Parse(data []byte) (map[apierror.GroupResource]storage.Transformer, error) {
	var cfg Config
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if cfg.Kind != "EncryptionConfiguration" {
		return nil, fmt.Errorf("%w: kind must be EncryptionConfiguration, got %q", ErrInvalidConfig, cfg.Kind)
	}
	out := map[apierror.GroupResource]storage.Transformer{}
	for i, rc := range cfg.Resources {
		if len(rc.Providers) == 0 {
			return nil, fmt.Errorf("%w: resources[%d] has no providers", ErrInvalidConfig, i)
		}
		t := &Transformer{keys: map[string]*gcmKey{}}
		for j, p := range rc.Providers {
			switch {
			case p.AESGCM != nil && p.Identity == nil:
				if len(p.AESGCM.Keys) == 0 {
					return nil, fmt.Errorf("%w: resources[%d].providers[%d].aesgcm has no keys", ErrInvalidConfig, i, j)
				}
				for k, key := range p.AESGCM.Keys {
					gk, err := newKey(key)
					if err != nil {
						return nil, fmt.Errorf("%w: resources[%d].providers[%d].aesgcm.keys[%d]: %v", ErrInvalidConfig, i, j, k, err)
					}
					if _, dup := t.keys[key.Name]; dup {
						return nil, fmt.Errorf("%w: duplicate key name %q", ErrInvalidConfig, key.Name)
					}
					t.keys[key.Name] = gk
					if j == 0 && k == 0 {
						t.write = gk
					}
				}
			case p.Identity != nil && p.AESGCM == nil:
				t.identity = true
			default:
				return nil, fmt.Errorf("%w: resources[%d].providers[%d] must set exactly one of aesgcm, identity", ErrInvalidConfig, i, j)
			}
		}
		for _, r := range rc.Resources {
			resource, group, _ := strings.Cut(r, ".")
			gr := apierror.GroupResource{Group: group, Resource: resource}
			if _, dup := out[gr]; dup {
				return nil, fmt.Errorf("%w: resource %q configured twice", ErrInvalidConfig, r)
			}
			out[gr] = t
		}
	}
	return out, nil
}

// Load reads an EncryptionConfiguration file.
func Load(path string) (map[apierror.GroupResource]storage.Transformer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encryption: %w", err)
	}
	return Parse(data)
}

func newKey(k Key) (*gcmKey, error) {
	if k.Name == "" || strings.Contains(k.Name, ":") {
		return nil, errors.New("key names must be non-empty and contain no colon")
	}
	secret, err := base64.StdEncoding.DecodeString(k.Secret)
	if err != nil {
		return nil, fmt.Errorf("secret is not base64: %v", err)
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, fmt.Errorf("secret must be 16, 24 or 32 bytes: %v", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &gcmKey{name: k.Name, aead: aead}, nil
}
