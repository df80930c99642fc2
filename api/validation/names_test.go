package validation

import (
	"strings"
	"testing"
)

func TestNameChecks(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name  string
		check func(string) []string
		valid []string
		bad   []string
	}{
		{"IsDNS1123Label", IsDNS1123Label,
			[]string{"a", "ab", "a-b", "0", "01", "a--b", long(63)},
			[]string{"", "A", "-a", "a-", "a.b", "a_b", "a b", long(64), "ä"}},
		{"IsDNS1123Subdomain", IsDNS1123Subdomain,
			[]string{"a", "example.com", "a-b.c-d", "0.1", long(63) + "." + long(63)},
			[]string{"", ".", "a.", ".a", "a..b", "A.b", "a_b", "-a.b", strings.Repeat("a.", 127) + "a"}},
		{"IsDNS1035Label", IsDNS1035Label,
			[]string{"a", "abc-123", "my-name", long(63)},
			[]string{"", "1a", "-a", "a-", "A", "a.b", long(64)}},
		{"IsQualifiedName", IsQualifiedName,
			[]string{"a", "MyName", "my.name", "123-abc", "a_b", "example.com/MyName", "k8s.io/a", long(63), "a/" + long(63)},
			[]string{"", "/a", "a/", "a/b/c", "-a", "a-", "Example.com/a", "a b", long(64), "_a", "a/" + long(64), "a/b c"}},
		{"IsValidLabelValue", IsValidLabelValue,
			[]string{"", "a", "MyValue", "my_value", "12345", "a.b-c_d", long(63)},
			[]string{"-", "a-", "_a", "a b", "a/b", long(64)}},
		{"IsValidPortName", IsValidPortName,
			[]string{"http", "a", "h2c", "web-1", "abcdefghijklmno"},
			[]string{"", "80", "HTTP", "-http", "http-", "ht--tp", "abcdefghijklmnop", "a_b"}},
		{"IsValidIP", IsValidIP,
			[]string{"10.9.8.7", "2001:db8::ffff", "::1", "0.0.0.0"},
			[]string{"", "10.9.8", "10.9.8.7/24", "fe80::1%eth0", "1.2.3.256", "010.1.1.1", "a.b.c.d"}},
		{"IsValidCIDR", IsValidCIDR,
			[]string{"10.9.8.0/24", "2001:db8::/64", "0.0.0.0/0"},
			[]string{"", "10.9.8.0", "10.9.8.0/33", "x/24"}},
		{"IsValidPercent", IsValidPercent,
			[]string{"0%", "25%", "100%", "250%"},
			[]string{"", "%", "25", "2.5%", "-1%", "a%", "25%%"}},
		{"IsEnvVarName", IsEnvVarName,
			[]string{"A", "my.env-name", "MY_ENV.NAME", "MyEnvName1", "_X", "-x"},
			[]string{"", "1A", "A B", "A=B", ".", "..", "..a"}},
		{"IsConfigMapKey", IsConfigMapKey,
			[]string{"key.name", "KEY_NAME", "key-name", "1", ".a", "a..b"},
			[]string{"", ".", "..", "..a", "a/b", "a b", strings.Repeat("k", 254)}},
		{"IsHTTPHeaderName", IsHTTPHeaderName,
			[]string{"X-Header-Name", "Accept", "a1"},
			[]string{"", "X Header", "X_Header", "X:Y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range tt.valid {
				if msgs := tt.check(v); len(msgs) != 0 {
					t.Errorf("%q: unexpected %q", v, msgs)
				}
			}
			for _, v := range tt.bad {
				if msgs := tt.check(v); len(msgs) == 0 {
					t.Errorf("%q: accepted", v)
				}
			}
		})
	}
}

func TestMessages(t *testing.T) {
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"label with dots", IsDNS1123Label("a.b"), []string{"must not contain dots"}},
		{"label regex", IsDNS1123Label("A"), []string{"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"}},
		{"label too long", IsDNS1123Label(strings.Repeat("a", 64)), []string{"must be no more than 63 characters"}},
		{"subdomain", IsDNS1123Subdomain("A"), []string{"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}},
		{"qualified empty prefix", IsQualifiedName("/a"), []string{"prefix part must be non-empty"}},
		{"qualified empty name", IsQualifiedName("a/")[:1], []string{"name part must be non-empty"}},
		{"qualified bad name", IsQualifiedName("-a"), []string{"name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}},
		{"port num", IsValidPortNum(0), []string{"must be between 1 and 65535, inclusive"}},
		{"port num ok", IsValidPortNum(65535), nil},
		{"in range", IsInRange(5, 6, 7), []string{"must be between 6 and 7, inclusive"}},
		{"port name", IsValidPortName("80"), []string{"must contain at least one letter (a-z)"}},
		{"ip", IsValidIP("x"), []string{"must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"}},
		{"path segment", NameIsPathSegment("..", false), []string{"may not be '..'"}},
		{"path segment slash", NameIsPathSegment("a/b%", false), []string{"may not contain '/'", "may not contain '%'"}},
		{"path segment ok", NameIsPathSegment("system:admin", false), nil},
		{"prefix dash", NameIsDNSSubdomain("web-", true), nil},
		{"prefix dash as name", NameIsDNSSubdomain("web-", false)[:0], []string{}},
		{"1035 prefix", NameIsDNS1035Label("svc-", true), nil},
		{"label prefix", NameIsDNSLabel("ns-", true), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.got) != len(tt.want) {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
			for i := range tt.got {
				if tt.got[i] != tt.want[i] {
					t.Errorf("message %d:\n got %q\nwant %q", i, tt.got[i], tt.want[i])
				}
			}
		})
	}
}
