package certs_test

import (
	"fmt"
	"os"

	"github.com/longshore/longshore/apiserver/certs"
)

// Ensure creates the API server's PKI on first start and reuses it after.
func ExampleEnsure() {
	dir, _ := os.MkdirTemp("", "pki")
	defer os.RemoveAll(dir)

	b, err := certs.Ensure(dir, certs.ServingOptions{Hosts: []string{"10.0.0.1"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	admin, _ := b.CA.IssueClient("longshore-admin", "system:masters")
	fmt.Println(b.Serving.Cert.VerifyHostname("localhost") == nil, admin.Cert.Subject.CommonName)
	// Output: true longshore-admin
}
