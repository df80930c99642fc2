package encryption_test

import (
	"fmt"
	"strings"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/apiserver/encryption"
)

func ExampleParse() {
	cfg := `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aesgcm: {keys: [{name: key1, secret: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=}]}
  - identity: {}
`
	trs, _ := encryption.Parse([]byte(cfg))
	tr := trs[apierror.GroupResource{Resource: "secrets"}]
	stored, _ := tr.ToStorage("/registry/secrets/default/db", []byte("hunter2"))
	plain, _ := tr.FromStorage("/registry/secrets/default/db", stored)
	fmt.Println(strings.HasPrefix(string(stored), "k8s:enc:aesgcm:v1:key1:"), string(plain))
	// Output: true hunter2
}
