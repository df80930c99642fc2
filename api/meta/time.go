package meta

import (
	"bytes"
	"encoding/json"
	"time"
)

// Time is a timestamp that encodes as RFC 3339 in UTC with second
// precision, and as null when zero, as Kubernetes writes it.
type Time struct {
	time.Time
}

// Now returns the current time truncated to seconds.
func Now() Time { return Time{time.Now().UTC().Truncate(time.Second)} }

// NewTime wraps t.
func NewTime(t time.Time) Time { return Time{t} }

// IsZero reports whether t is the zero time; nil receivers are zero.
func (t *Time) IsZero() bool { return t == nil || t.Time.IsZero() }

// MarshalJSON writes RFC 3339 in UTC, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.Time.IsZero() {
		return []byte("null"), nil
	}
	buf := make([]byte, 0, len(time.RFC3339)+2)
	buf = append(buf, '"')
	buf = t.UTC().AppendFormat(buf, time.RFC3339)
	buf = append(buf, '"')
	return buf, nil
}

// UnmarshalJSON reads RFC 3339, or null as the zero time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	pt, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	t.Time = pt.Local()
	return nil
}

// MicroTimeLayout is the wire layout of MicroTime.
const MicroTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// MicroTime is a timestamp with microsecond precision, used by Events and
// Leases.
type MicroTime struct {
	time.Time
}

// NowMicro returns the current time truncated to microseconds.
func NowMicro() MicroTime { return MicroTime{time.Now().UTC().Truncate(time.Microsecond)} }

// IsZero reports whether t is the zero time; nil receivers are zero.
func (t *MicroTime) IsZero() bool { return t == nil || t.Time.IsZero() }

// MarshalJSON writes MicroTimeLayout in UTC, or null for the zero time.
func (t MicroTime) MarshalJSON() ([]byte, error) {
	if t.Time.IsZero() {
		return []byte("null"), nil
	}
	buf := make([]byte, 0, len(MicroTimeLayout)+2)
	buf = append(buf, '"')
	buf = t.UTC().AppendFormat(buf, MicroTimeLayout)
	buf = append(buf, '"')
	return buf, nil
}

// UnmarshalJSON reads MicroTimeLayout (or RFC 3339), or null.
func (t *MicroTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	pt, err := time.Parse(MicroTimeLayout, s)
	if err != nil {
		if pt, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return err
		}
	}
	t.Time = pt.Local()
	return nil
}

// RawJSON holds a JSON value verbatim (e.g. managedFields' fieldsV1, or a
// custom resource's fields).
type RawJSON = json.RawMessage
