package authn_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/longshore/longshore/apiserver/authn"
)

func ExampleParseTokens() {
	tokens, _ := authn.ParseTokens(strings.NewReader(`s3cret,deployer,1001,"ci,release"` + "\n"))
	r := httptest.NewRequest("GET", "/api/v1/pods", nil)
	r.Header.Set("Authorization", "Bearer s3cret")
	u, ok, _ := authn.Union{tokens}.Authenticate(r)
	fmt.Println(ok, u.Name, u.Groups)
	// Output: true deployer [ci release system:authenticated]
}
