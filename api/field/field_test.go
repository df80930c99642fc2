package field

import (
	"errors"
	"fmt"
	"testing"
)

func TestPathString(t *testing.T) {
	tests := []struct {
		name string
		p    *Path
		want string
	}{
		{"nil", nil, ""},
		{"root", NewPath("spec"), "spec"},
		{"children", NewPath("metadata", "labels"), "metadata.labels"},
		{"index", NewPath("spec").Child("containers").Index(0).Child("name"), "spec.containers[0].name"},
		{"key", NewPath("metadata").Child("labels").Key("app"), "metadata.labels[app]"},
		{"key then child", NewPath("spec").Child("selector").Key("x").Child("y", "z"), "spec.selector[x].y.z"},
		{"nested index", NewPath("a").Index(1).Index(2), "a[1][2]"},
		{"child of nil", (*Path)(nil).Child("x"), "x"},
		{"index of nil", (*Path)(nil).Index(3), "[3]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
	base := NewPath("spec")
	a, b := base.Child("a"), base.Child("b")
	if a.String() != "spec.a" || b.String() != "spec.b" || base.String() != "spec" {
		t.Error("paths share state")
	}
	if got := NewPath("x").Child("y").Index(2).Root().String(); got != "x" {
		t.Errorf("Root() = %q", got)
	}
}

type stringer struct{}

func (stringer) String() string { return "STR" }

func TestErrorText(t *testing.T) {
	p := NewPath("spec").Child("containers").Index(0)
	n := 7
	tests := []struct {
		name string
		err  *Error
		want string
		typ  ErrorType
	}{
		{"required", Required(p.Child("name"), ""), "spec.containers[0].name: Required value", ErrorTypeRequired},
		{"required detail", Required(p.Child("image"), "an image is needed"), "spec.containers[0].image: Required value: an image is needed", ErrorTypeRequired},
		{"invalid string", Invalid(p.Child("name"), "Bad", "must be lowercase"), `spec.containers[0].name: Invalid value: "Bad": must be lowercase`, ErrorTypeInvalid},
		{"invalid int", Invalid(NewPath("port"), int32(0), "must be between 1 and 65535, inclusive"), "port: Invalid value: 0: must be between 1 and 65535, inclusive", ErrorTypeInvalid},
		{"invalid nil pointer", Invalid(NewPath("x"), (*int)(nil), "no"), "x: Invalid value: null: no", ErrorTypeInvalid},
		{"invalid pointer", Invalid(NewPath("x"), &n, ""), "x: Invalid value: 7", ErrorTypeInvalid},
		{"invalid stringer", Invalid(NewPath("x"), stringer{}, ""), "x: Invalid value: STR", ErrorTypeInvalid},
		{"invalid struct", Invalid(NewPath("x"), struct{ A int }{1}, ""), "x: Invalid value: struct { A int }{A:1}", ErrorTypeInvalid},
		{"not supported", NotSupported(NewPath("spec", "restartPolicy"), "Sometimes", []string{"Always", "Never"}), `spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never"`, ErrorTypeNotSupported},
		{"duplicate", Duplicate(p.Child("name"), "web"), `spec.containers[0].name: Duplicate value: "web"`, ErrorTypeDuplicate},
		{"forbidden", Forbidden(NewPath("metadata", "namespace"), "not allowed on this type"), "metadata.namespace: Forbidden: not allowed on this type", ErrorTypeForbidden},
		{"too long", TooLong(NewPath("metadata", "annotations"), "", 262144), "metadata.annotations: Too long: may not be more than 262144 bytes", ErrorTypeTooLong},
		{"too long one", TooLong(NewPath("x"), "ab", 1), "x: Too long: may not be more than 1 byte", ErrorTypeTooLong},
		{"too long unknown", TooLong(NewPath("x"), "ab", -1), "x: Too long: value is too long", ErrorTypeTooLong},
		{"too many", TooMany(NewPath("items"), 5, 3), "items: Too many: 5: must have at most 3 items", ErrorTypeTooMany},
		{"too many unknown", TooMany(NewPath("items"), -1, 3), "items: Too many: must have at most 3 items", ErrorTypeTooMany},
		{"not found", NotFound(NewPath("spec", "volumeMounts").Index(0).Child("name"), "data"), `spec.volumeMounts[0].name: Not found: "data"`, ErrorTypeNotFound},
		{"internal", InternalError(NewPath("x"), errors.New("boom")), "x: Internal error: boom", ErrorTypeInternal},
		{"type invalid", TypeInvalid(NewPath("x"), "s", "expected int"), `x: Invalid value: "s": expected int`, ErrorTypeTypeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q\nwant      %q", got, tt.want)
			}
			if tt.err.Type != tt.typ {
				t.Errorf("Type = %q, want %q", tt.err.Type, tt.typ)
			}
		})
	}
	if got := ErrorType("Odd").String(); got != `unknown error type "Odd"` {
		t.Errorf("unknown type String() = %q", got)
	}
}

func TestToAggregate(t *testing.T) {
	if err := (ErrorList{}).ToAggregate(); err != nil {
		t.Errorf("empty list: %v", err)
	}
	if err := ErrorList(nil).ToAggregate(); err != nil {
		t.Errorf("nil list: %v", err)
	}
	one := ErrorList{Required(NewPath("a"), "")}
	if got := one.ToAggregate().Error(); got != "a: Required value" {
		t.Errorf("one = %q", got)
	}
	two := ErrorList{Required(NewPath("a"), ""), Invalid(NewPath("b"), "x", "bad"), Required(NewPath("a"), "")}
	err := two.ToAggregate()
	if got := err.Error(); got != `[a: Required value, b: Invalid value: "x": bad]` {
		t.Errorf("two = %q", got)
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.Field != "a" {
		t.Errorf("errors.As found %v", fe)
	}
	if !errors.Is(err, &Error{Type: ErrorTypeInvalid}) {
		t.Error("errors.Is by type failed")
	}
	if errors.Is(err, &Error{Type: ErrorTypeDuplicate}) {
		t.Error("errors.Is matched an absent type")
	}
	if !errors.Is(fmt.Errorf("create: %w", err), &Error{Type: ErrorTypeRequired, Field: "a"}) {
		t.Error("errors.Is through wrapping failed")
	}
	kept := two.Filter(func(e *Error) bool { return e.Type == ErrorTypeRequired })
	if len(kept) != 1 || kept[0].Field != "b" {
		t.Errorf("Filter = %v", kept)
	}
}
