package encryption

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/apierror"
)

func key(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func cfg(providers string) string {
	return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets, widgets.example.com]\n  providers:\n" + providers
}

var secrets = apierror.GroupResource{Resource: "secrets"}

func TestEncryptDecryptAndRotation(t *testing.T) {
	plainBefore := []byte(`{"kind":"Secret"}`)
	v1, err := Parse([]byte(cfg("  - aesgcm: {keys: [{name: k1, secret: " + key(1) + "}]}\n  - identity: {}\n")))
	if err != nil {
		t.Fatal(err)
	}
	tr := v1[secrets]
	if tr == nil || v1[apierror.GroupResource{Group: "example.com", Resource: "widgets"}] == nil {
		t.Fatalf("resources not configured: %v", v1)
	}
	enc, err := tr.ToStorage("/registry/secrets/ns/a", []byte("top secret"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(enc, []byte("top secret")) || !strings.HasPrefix(string(enc), "k8s:enc:aesgcm:v1:k1:") {
		t.Fatalf("not encrypted: %q", enc)
	}
	got, err := tr.FromStorage("/registry/secrets/ns/a", enc)
	if err != nil || string(got) != "top secret" {
		t.Fatalf("decrypt: %q %v", got, err)
	}
	// Plaintext written before encryption stays readable.
	if got, err := tr.FromStorage("/registry/secrets/ns/old", plainBefore); err != nil || !bytes.Equal(got, plainBefore) {
		t.Fatalf("pre-encryption value: %q %v", got, err)
	}
	// Bound to its key: moving the value elsewhere fails.
	if _, err := tr.FromStorage("/registry/secrets/ns/b", enc); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("moved value: %v", err)
	}
	// Rotation: k2 writes, k1 still reads.
	v2, err := Parse([]byte(cfg("  - aesgcm: {keys: [{name: k2, secret: " + key(2) + "}, {name: k1, secret: " + key(1) + "}]}\n")))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v2[secrets].FromStorage("/registry/secrets/ns/a", enc); err != nil || string(got) != "top secret" {
		t.Fatalf("old key after rotation: %q %v", got, err)
	}
	enc2, _ := v2[secrets].ToStorage("/registry/secrets/ns/a", []byte("x"))
	if !strings.HasPrefix(string(enc2), "k8s:enc:aesgcm:v1:k2:") {
		t.Fatalf("new writes must use the first key: %q", enc2)
	}
	// Without identity, plaintext is refused; without k1, old values fail.
	if _, err := v2[secrets].FromStorage("/registry/secrets/ns/old", plainBefore); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("plaintext without identity: %v", err)
	}
	v3, _ := Parse([]byte(cfg("  - aesgcm: {keys: [{name: k3, secret: " + key(3) + "}]}\n")))
	if _, err := v3[secrets].FromStorage("/registry/secrets/ns/a", enc); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("dropped key: %v", err)
	}
	// Identity first: writes stay plaintext, encrypted values still read.
	v4, _ := Parse([]byte(cfg("  - identity: {}\n  - aesgcm: {keys: [{name: k1, secret: " + key(1) + "}]}\n")))
	if out, _ := v4[secrets].ToStorage("k", []byte("p")); string(out) != "p" {
		t.Fatalf("identity-first write: %q", out)
	}
	if got, err := v4[secrets].FromStorage("/registry/secrets/ns/a", enc); err != nil || string(got) != "top secret" {
		t.Fatalf("identity-first read of encrypted: %v", err)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, bad := range []string{
		"kind: Other\n",
		cfg("  - aesgcm: {keys: [{name: k1, secret: notbase64!}]}\n"),
		cfg("  - aesgcm: {keys: [{name: k1, secret: " + base64.StdEncoding.EncodeToString([]byte("short")) + "}]}\n"),
		cfg("  - aesgcm: {keys: []}\n"),
		cfg("  - {}\n"),
		cfg("  - aesgcm: {keys: [{name: 'a:b', secret: " + key(1) + "}]}\n"),
		cfg("  - aesgcm: {keys: [{name: k, secret: " + key(1) + "}, {name: k, secret: " + key(2) + "}]}\n"),
		cfg("  - identity: {}\n    bogus: 1\n"),
	} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("config %q: err = %v, want ErrInvalidConfig", bad, err)
		}
	}
}
