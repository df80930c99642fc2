package apiserver

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/patch"
)

// applyPatch applies a patch of content type pt to the JSON of cur (whose Go
// type drives strategic merge patches).
func applyPatch(pt string, doc, body []byte, cur any) ([]byte, error) {
	var (
		out []byte
		err error
	)
	switch pt {
	case patch.TypeMerge:
		out, err = patch.Merge(doc, body)
	case patch.TypeJSON:
		out, err = patch.JSON(doc, body)
	case patch.TypeStrategic:
		if _, ok := cur.(meta.Object); !ok || isUnstructured(cur) {
			return nil, apierror.NewUnsupportedMediaType(pt + " (strategic merge patch is not supported for custom resources; use a merge patch)")
		}
		out, err = patch.Strategic(doc, body, reflect.TypeOf(cur))
	default:
		return nil, apierror.NewUnsupportedMediaType(pt)
	}
	if err != nil {
		if errors.Is(err, patch.ErrTestFailed) {
			return nil, apierror.NewInvalid("", "", "", []meta.StatusCause{{Type: meta.CauseTypeFieldValueInvalid, Message: err.Error()}})
		}
		if errors.Is(err, patch.ErrInvalid) {
			return nil, apierror.NewBadRequest(err.Error())
		}
		return nil, apierror.NewInternal(fmt.Errorf("applying patch: %w", err))
	}
	return out, nil
}

// isUnstructured reports whether obj is a custom resource object without a
// Go schema.
func isUnstructured(obj any) bool {
	_, ok := obj.(interface{ UnstructuredContent() map[string]any })
	return ok
}
