package store

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Sentinel errors. Backends wrap them with context; callers test with
// errors.Is.
var (
	// ErrNotFound: the key does not exist (at the revision asked for).
	ErrNotFound = errors.New("store: key not found")
	// ErrExists: Create found the key already present.
	ErrExists = errors.New("store: key already exists")
	// ErrConflict: the key's ModRevision is not the one the caller expected.
	ErrConflict = errors.New("store: modification revision conflict")
	// ErrCompacted: the revision asked for has been compacted away.
	ErrCompacted = errors.New("store: required revision has been compacted")
	// ErrFutureRevision: the revision asked for is above the current one.
	ErrFutureRevision = errors.New("store: required revision is a future revision")
	// ErrTooLarge: a key or value is over MaxKeySize or MaxValueSize.
	ErrTooLarge = errors.New("store: key or value too large")
	// ErrInvalid: an argument is malformed (empty key or value, negative
	// revision, bad continue token, ...).
	ErrInvalid = errors.New("store: invalid argument")
	// ErrLeaseNotFound: the lease does not exist or has expired.
	ErrLeaseNotFound = errors.New("store: lease not found")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("store: closed")
)

// ValidateKey reports whether key is acceptable to every backend: non-empty,
// valid UTF-8 and at most MaxKeySize bytes.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty key", ErrInvalid)
	case len(key) > MaxKeySize:
		return fmt.Errorf("%w: key of %d bytes exceeds the limit of %d", ErrTooLarge, len(key), MaxKeySize)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: key is not valid UTF-8", ErrInvalid)
	}
	return nil
}

// ValidateValue reports whether value is acceptable: non-empty and at most
// MaxValueSize bytes.
func ValidateValue(value []byte) error {
	switch {
	case len(value) == 0:
		return fmt.Errorf("%w: empty value", ErrInvalid)
	case len(value) > MaxValueSize:
		return fmt.Errorf("%w: value of %d bytes exceeds the limit of %d", ErrTooLarge, len(value), MaxValueSize)
	}
	return nil
}

// ValidateRevision rejects negative revisions.
func ValidateRevision(rev int64) error {
	if rev < 0 {
		return fmt.Errorf("%w: negative revision %d", ErrInvalid, rev)
	}
	return nil
}

// EncodeContinue builds the opaque token of ListResult.Continue: the
// revision the list is pinned to and the key to resume at (inclusive).
// Backends share it so that tokens look alike whatever the backend.
func EncodeContinue(revision int64, nextKey string) string {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(nextKey))
	b = append(b, 1) // token format version
	b = binary.AppendUvarint(b, uint64(revision))
	b = append(b, nextKey...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeContinue parses a token made by EncodeContinue and checks that the
// key it resumes at lies under prefix.
func DecodeContinue(token, prefix string) (revision int64, nextKey string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 2 || b[0] != 1 {
		return 0, "", fmt.Errorf("%w: malformed continue token", ErrInvalid)
	}
	rev, n := binary.Uvarint(b[1:])
	if n <= 0 || rev == 0 || rev > 1<<62 {
		return 0, "", fmt.Errorf("%w: malformed continue token", ErrInvalid)
	}
	key := string(b[1+n:])
	if len(key) < len(prefix) || key[:len(prefix)] != prefix {
		return 0, "", fmt.Errorf("%w: continue token does not belong to prefix %q", ErrInvalid, prefix)
	}
	return int64(rev), key, nil
}
