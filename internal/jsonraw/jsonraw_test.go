package jsonraw

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestSkip(t *testing.T) {
	tests := []struct {
		in   string
		want int // -1: an error
	}{
		{`"a\"b"x`, 6},
		{`  {"a":[1,{"b":"}"}]} ,`, 21},
		{`[1,2,[3]]]`, 9},
		{`-12.5e3,`, 7},
		{`true}`, 4},
		{`null`, 4},
		{`"unterminated`, -1},
		{`{"a":[1,2}`, -1},
		{``, -1},
		{`   `, -1},
		{`,`, -1},
	}
	for _, tc := range tests {
		got, err := Skip([]byte(tc.in), 0)
		if tc.want < 0 {
			if err == nil || !errors.Is(err, ErrSyntax) {
				t.Errorf("Skip(%q) = %d, %v; want an ErrSyntax", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Skip(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestMembersAndKey(t *testing.T) {
	doc := []byte(` { "a" : 1 , "b\u0063" : {"x":[1,"]"]} , "\"q\"":"v" , "é":null } `)
	var keys []string
	var values []string
	err := Members(doc, func(key, value []byte) error {
		k, err := Key(key)
		if err != nil {
			return err
		}
		keys, values = append(keys, k), append(values, string(value))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"a", "bc", `"q"`, "é"}
	wantValues := []string{"1", `{"x":[1,"]"]}`, `"v"`, "null"}
	if !reflect.DeepEqual(keys, wantKeys) || !reflect.DeepEqual(values, wantValues) {
		t.Fatalf("got %q %q", keys, values)
	}
	for _, bad := range []string{`[]`, `{"a"}`, `{"a":1,}`, `{"a":1 "b":2}`, `{"a":1} x`, `{a:1}`, `{"a":`, `{`} {
		if err := Members([]byte(bad), func(_, _ []byte) error { return nil }); !errors.Is(err, ErrSyntax) {
			t.Errorf("Members(%q) = %v, want ErrSyntax", bad, err)
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := Members([]byte(`{"a":1,"b":2}`), func(_, _ []byte) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("fn's error: %v after %d members", err, n)
	}
	if !IsNull([]byte(" null ")) || IsNull([]byte("nullx")) || IsNull([]byte(`"null"`)) {
		t.Fatal("IsNull")
	}
	if !IsObject([]byte(" {}")) || IsObject([]byte("[]")) || IsObject(nil) {
		t.Fatal("IsObject")
	}
}

// FuzzMembers: on any input, Members and Skip never panic, and on a valid
// object the members are the keys and values encoding/json finds.
func FuzzMembers(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":{"c":[true,null,"x\"y"]}}`))
	f.Add([]byte(`{"\u00e9":"\ud83d\ude00", "n": -0.5E+2 }`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"a":"b\\"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for i := range min(len(data), 8) {
			_, _ = Skip(data, i)
		}
		got := map[string]json.RawMessage{}
		err := Members(data, func(key, value []byte) error {
			k, err := Key(key)
			if err != nil {
				return err
			}
			got[k] = append(json.RawMessage(nil), value...)
			return nil
		})
		var want map[string]json.RawMessage
		werr := json.Unmarshal(data, &want)
		if werr != nil || want == nil {
			return // not an object; Members need not reject every invalid one
		}
		if err != nil {
			t.Fatalf("Members(%q): %v, but encoding/json reads it", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("Members(%q) found %d keys, encoding/json %d", data, len(got), len(want))
		}
		for k, v := range want {
			var a, b any
			if json.Unmarshal(v, &a) != nil || json.Unmarshal(got[k], &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("Members(%q): %q = %s, encoding/json has %s", data, k, got[k], v)
			}
		}
	})
}
