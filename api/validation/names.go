package validation

import (
	"fmt"
	"net/netip"
	"strings"
)

// Length limits of the name and label formats.
const (
	DNS1123LabelMaxLength     = 63
	DNS1123SubdomainMaxLength = 253
	DNS1035LabelMaxLength     = 63
	QualifiedNameMaxLength    = 63
	LabelValueMaxLength       = 63
	PortNameMaxLength         = 15
	ConfigMapKeyMaxLength     = 253
)

// The regular expressions the messages quote (the checks are hand-written
// scanners that accept exactly these languages).
const (
	dns1123LabelFmt     = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
	dns1035LabelFmt     = "[a-z]([-a-z0-9]*[a-z0-9])?"
	qualifiedNameFmt    = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
	labelValueFmt       = "(" + qualifiedNameFmt + ")?"
	percentFmt          = "[0-9]+%"
	envVarNameFmt       = "[-._a-zA-Z][-._a-zA-Z0-9]*"
	configMapKeyFmt     = "[-._a-zA-Z0-9]+"
	httpHeaderNameFmt   = "[-A-Za-z0-9]+"
)

const (
	dns1123LabelErrMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
	dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
	dns1035LabelErrMsg     = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
	qualifiedNameErrMsg    = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	labelValueErrMsg       = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	percentErrMsg          = "a valid percent string must be a numeric string followed by an ending '%'"
	envVarNameErrMsg       = "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"
	configMapKeyErrMsg     = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
	httpHeaderNameErrMsg   = "a valid HTTP header must consist of alphanumeric characters or '-'"
)

// IsNegativeErrorMsg is the message for a negative value that must not be.
const IsNegativeErrorMsg = "must be greater than or equal to 0"

// EmptyError returns the message for an empty value.
func EmptyError() string { return "must be non-empty" }

// MaxLenError returns the message for a value longer than length.
func MaxLenError(length int) string {
	return fmt.Sprintf("must be no more than %d characters", length)
}

// RegexError returns the message for a value outside the language of
// regex, with examples of valid values.
func RegexError(msg, regex string, examples ...string) string {
	if len(examples) == 0 {
		return msg + " (regex used for validation is '" + regex + "')"
	}
	var b strings.Builder
	b.WriteString(msg)
	b.WriteString(" (e.g. ")
	for i, e := range examples {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString("'" + e + "', ")
	}
	b.WriteString("regex used for validation is '" + regex + "')")
	return b.String()
}

// InclusiveRangeError returns the message for a value outside [lo, hi].
func InclusiveRangeError(lo, hi int) string {
	return fmt.Sprintf("must be between %d and %d, inclusive", lo, hi)
}

func isLowerAlnum(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') }
func isAlnum(c byte) bool      { return isLowerAlnum(c) || (c >= 'A' && c <= 'Z') }
func isLetter(c byte) bool     { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }

// matchEnds reports whether s is non-empty, starts and ends with a byte
// that first/last accept, and every byte between is accepted by mid.
func matchEnds(s string, first, mid, last func(byte) bool) bool {
	if s == "" || !first(s[0]) || !last(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if !mid(s[i]) {
			return false
		}
	}
	return true
}

func dns1123LabelMid(c byte) bool { return isLowerAlnum(c) || c == '-' }
func qualifiedMid(c byte) bool    { return isAlnum(c) || c == '-' || c == '_' || c == '.' }
func isLowerLetter(c byte) bool   { return c >= 'a' && c <= 'z' }

func matchDNS1123Label(s string) bool {
	return matchEnds(s, isLowerAlnum, dns1123LabelMid, isLowerAlnum)
}

func matchDNS1123Subdomain(s string) bool {
	for {
		label, rest, more := strings.Cut(s, ".")
		if !matchDNS1123Label(label) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// IsDNS1123Label checks an RFC 1123 label: at most 63 lowercase
// alphanumerics or '-', starting and ending alphanumeric ("my-name").
func IsDNS1123Label(value string) []string {
	var errs []string
	if len(value) > DNS1123LabelMaxLength {
		errs = append(errs, MaxLenError(DNS1123LabelMaxLength))
	}
	if !matchDNS1123Label(value) {
		if matchDNS1123Subdomain(value) {
			errs = append(errs, "must not contain dots")
		} else {
			errs = append(errs, RegexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc"))
		}
	}
	return errs
}

// IsDNS1123Subdomain checks an RFC 1123 subdomain: dot-separated labels,
// at most 253 characters ("example.com").
func IsDNS1123Subdomain(value string) []string {
	var errs []string
	if len(value) > DNS1123SubdomainMaxLength {
		errs = append(errs, MaxLenError(DNS1123SubdomainMaxLength))
	}
	if !matchDNS1123Subdomain(value) {
		errs = append(errs, RegexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, "example.com"))
	}
	return errs
}

// IsDNS1035Label checks an RFC 1035 label: like a DNS-1123 label but
// starting with a letter (the rule for Service names).
func IsDNS1035Label(value string) []string {
	var errs []string
	if len(value) > DNS1035LabelMaxLength {
		errs = append(errs, MaxLenError(DNS1035LabelMaxLength))
	}
	if !matchEnds(value, isLowerLetter, dns1123LabelMid, isLowerAlnum) {
		errs = append(errs, RegexError(dns1035LabelErrMsg, dns1035LabelFmt, "my-name", "abc-123"))
	}
	return errs
}

func matchQualified(s string) bool { return matchEnds(s, isAlnum, qualifiedMid, isAlnum) }

// IsQualifiedName checks a label key or annotation key: a name part of at
// most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric,
// with an optional DNS subdomain prefix and '/' ("example.com/my-name").
func IsQualifiedName(value string) []string {
	var errs []string
	name := value
	switch strings.Count(value, "/") {
	case 0:
	case 1:
		var prefix string
		prefix, name, _ = strings.Cut(value, "/")
		if prefix == "" {
			errs = append(errs, "prefix part "+EmptyError())
		} else {
			for _, msg := range IsDNS1123Subdomain(prefix) {
				errs = append(errs, "prefix part "+msg)
			}
		}
	default:
		return append(errs, "a qualified name "+RegexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc")+
			" with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")
	}
	if name == "" {
		errs = append(errs, "name part "+EmptyError())
	} else if len(name) > QualifiedNameMaxLength {
		errs = append(errs, "name part "+MaxLenError(QualifiedNameMaxLength))
	}
	if !matchQualified(name) {
		errs = append(errs, "name part "+RegexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc"))
	}
	return errs
}

// IsValidLabelValue checks a label value: empty, or at most 63
// alphanumerics, '-', '_' or '.', starting and ending alphanumeric.
func IsValidLabelValue(value string) []string {
	var errs []string
	if len(value) > LabelValueMaxLength {
		errs = append(errs, MaxLenError(LabelValueMaxLength))
	}
	if value != "" && !matchQualified(value) {
		errs = append(errs, RegexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"))
	}
	return errs
}

// IsValidPortNum checks a port number: 1 to 65535.
func IsValidPortNum(port int) []string {
	if port >= 1 && port <= 65535 {
		return nil
	}
	return []string{InclusiveRangeError(1, 65535)}
}

// IsInRange checks lo <= value <= hi.
func IsInRange(value, lo, hi int) []string {
	if value >= lo && value <= hi {
		return nil
	}
	return []string{InclusiveRangeError(lo, hi)}
}

// IsValidPortName checks a port name (an IANA_SVC_NAME, RFC 6335): at
// most 15 lowercase alphanumerics and '-', with a letter, no "--", and no
// '-' at either end.
func IsValidPortName(port string) []string {
	var errs []string
	if len(port) > PortNameMaxLength {
		errs = append(errs, MaxLenError(PortNameMaxLength))
	}
	letter, charset := false, port != ""
	for i := 0; i < len(port); i++ {
		c := port[i]
		if isLowerLetter(c) {
			letter = true
		} else if !isDigit(c) && c != '-' {
			charset = false
		}
	}
	if !charset {
		errs = append(errs, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
	}
	if !letter {
		errs = append(errs, "must contain at least one letter (a-z)")
	}
	if strings.Contains(port, "--") {
		errs = append(errs, "must not contain consecutive hyphens")
	}
	if port != "" && (port[0] == '-' || port[len(port)-1] == '-') {
		errs = append(errs, "must not begin or end with a hyphen")
	}
	return errs
}

// IsValidIP checks an IPv4 or IPv6 address without a zone ("10.9.8.7",
// "2001:db8::ffff"). It is stricter than Kubernetes' legacy parser: IPv4
// octets with leading zeros are refused.
func IsValidIP(value string) []string {
	if a, err := netip.ParseAddr(value); err == nil && a.Zone() == "" {
		return nil
	}
	return []string{"must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"}
}

// IsValidCIDR checks a CIDR ("10.9.8.0/24", "2001:db8::/64").
func IsValidCIDR(value string) []string {
	if _, err := netip.ParsePrefix(value); err == nil {
		return nil
	}
	return []string{"must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"}
}

// IsValidPercent checks a percentage: digits followed by '%' ("25%").
func IsValidPercent(percent string) []string {
	digits, ok := strings.CutSuffix(percent, "%")
	if ok && digits != "" && strings.Trim(digits, "0123456789") == "" {
		return nil
	}
	return []string{RegexError(percentErrMsg, percentFmt, "1%", "93%")}
}

// IsEnvVarName checks an environment variable name: letters, digits, '_',
// '-' or '.', not starting with a digit.
func IsEnvVarName(value string) []string {
	var errs []string
	ok := value != "" && !isDigit(value[0])
	for i := 0; ok && i < len(value); i++ {
		c := value[i]
		ok = isAlnum(c) || c == '_' || c == '-' || c == '.'
	}
	if !ok {
		errs = append(errs, RegexError(envVarNameErrMsg, envVarNameFmt, "my.env-name", "MY_ENV.NAME", "MyEnvName1"))
	}
	return append(errs, hasDotDotPrefix(value)...)
}

func hasDotDotPrefix(value string) []string {
	switch {
	case value == ".":
		return []string{"must not be '.'"}
	case value == "..":
		return []string{"must not be '..'"}
	case strings.HasPrefix(value, ".."):
		return []string{"must not start with '..'"}
	}
	return nil
}

// IsConfigMapKey checks a ConfigMap or Secret data key: at most 253
// alphanumerics, '-', '_' or '.', not "." or "..", not starting "..".
func IsConfigMapKey(value string) []string {
	var errs []string
	if len(value) > ConfigMapKeyMaxLength {
		errs = append(errs, MaxLenError(ConfigMapKeyMaxLength))
	}
	ok := value != ""
	for i := 0; ok && i < len(value); i++ {
		c := value[i]
		ok = isAlnum(c) || c == '_' || c == '-' || c == '.'
	}
	if !ok {
		errs = append(errs, RegexError(configMapKeyErrMsg, configMapKeyFmt, "key.name", "KEY_NAME", "key-name"))
	}
	return append(errs, hasDotDotPrefix(value)...)
}

// IsHTTPHeaderName checks an HTTP header name: alphanumerics and '-'.
func IsHTTPHeaderName(value string) []string {
	ok := value != ""
	for i := 0; ok && i < len(value); i++ {
		ok = isAlnum(value[i]) || value[i] == '-'
	}
	if ok {
		return nil
	}
	return []string{RegexError(httpHeaderNameErrMsg, httpHeaderNameFmt, "X-Header-Name")}
}

// NameFunc validates an object's name; prefix is true for a generateName
// prefix, whose trailing '-' is allowed. It returns messages, nil if valid.
type NameFunc func(name string, prefix bool) []string

// maskTrailingDash replaces a final '-' of a generateName prefix by a letter
// so that the name check accepts it ("web-" is a fine prefix).
func maskTrailingDash(name string) string {
	if len(name) > 1 && strings.HasSuffix(name, "-") {
		return name[:len(name)-1] + "a"
	}
	return name
}

// NameIsDNSSubdomain is the NameFunc of most kinds (Pod, ConfigMap, ...).
func NameIsDNSSubdomain(name string, prefix bool) []string {
	if prefix {
		name = maskTrailingDash(name)
	}
	return IsDNS1123Subdomain(name)
}

// NameIsDNSLabel is the NameFunc of kinds named by a DNS label (Namespace).
func NameIsDNSLabel(name string, prefix bool) []string {
	if prefix {
		name = maskTrailingDash(name)
	}
	return IsDNS1123Label(name)
}

// NameIsDNS1035Label is the NameFunc of Services.
func NameIsDNS1035Label(name string, prefix bool) []string {
	if prefix {
		name = maskTrailingDash(name)
	}
	return IsDNS1035Label(name)
}

// NameIsPathSegment is the NameFunc of kinds whose names only need to be
// a URL path segment (Roles, ClusterRoles and their bindings): not "." or
// "..", no '/' and no '%'.
func NameIsPathSegment(name string, prefix bool) []string {
	var errs []string
	if !prefix {
		switch name {
		case ".", "..":
			errs = append(errs, fmt.Sprintf("may not be '%s'", name))
		}
	}
	for _, bad := range []string{"/", "%"} {
		if strings.Contains(name, bad) {
			errs = append(errs, fmt.Sprintf("may not contain '%s'", bad))
		}
	}
	return errs
}

// ValidateNamespaceName checks a namespace name (a DNS-1123 label).
func ValidateNamespaceName(name string, prefix bool) []string { return NameIsDNSLabel(name, prefix) }
