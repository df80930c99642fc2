package authn

import (
	"crypto/subtle"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// bearer returns the bearer token of a request, if any.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// StaticTokens authenticates bearer tokens listed in a token file, the
// format of kube-apiserver's --token-auth-file: one line per token,
// `token,user,uid,"group1,group2"` (groups optional).
type StaticTokens struct {
	tokens map[string]*User
}

// LoadTokenFile reads a token file.
func LoadTokenFile(path string) (*StaticTokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("authn: token file: %w", err)
	}
	defer f.Close()
	return ParseTokens(f)
}

// ParseTokens reads the token file format from r.
func ParseTokens(r io.Reader) (*StaticTokens, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	st := &StaticTokens{tokens: map[string]*User{}}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return st, nil
		}
		if err != nil {
			return nil, fmt.Errorf("authn: token file line %d: %w", line, err)
		}
		if len(rec) < 3 || rec[0] == "" || rec[1] == "" {
			return nil, fmt.Errorf("authn: token file line %d: want token,user,uid[,groups]", line)
		}
		if _, dup := st.tokens[rec[0]]; dup {
			return nil, fmt.Errorf("authn: token file line %d: duplicate token", line)
		}
		u := &User{Name: rec[1], UID: rec[2]}
		if len(rec) > 3 && rec[3] != "" {
			for _, g := range strings.Split(rec[3], ",") {
				if g = strings.TrimSpace(g); g != "" {
					u.Groups = append(u.Groups, g)
				}
			}
		}
		st.tokens[rec[0]] = u
	}
}

// Authenticate implements Authenticator. Tokens that are not in the file
// are left to the next authenticator (they may be service account tokens).
func (s *StaticTokens) Authenticate(r *http.Request) (*User, bool, error) {
	tok, ok := bearer(r)
	if !ok {
		return nil, false, nil
	}
	for t, u := range s.tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			out := *u
			out.Groups = append([]string(nil), u.Groups...)
			return &out, true, nil
		}
	}
	return nil, false, nil
}
