package meta_test

import (
	"testing"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/internal/deepcopytest"
)

func TestDeepCopy(t *testing.T) {
	deepcopytest.Check(t, func() *meta.Status { return &meta.Status{} }, (*meta.Status).DeepCopy)
	deepcopytest.Check(t, func() *meta.DeleteOptions { return &meta.DeleteOptions{} }, (*meta.DeleteOptions).DeepCopy)
	deepcopytest.Check(t, func() *meta.ObjectMeta { return &meta.ObjectMeta{} }, (*meta.ObjectMeta).DeepCopy)
	deepcopytest.Check(t, func() *meta.WatchEvent { return &meta.WatchEvent{} }, (*meta.WatchEvent).DeepCopy)
	deepcopytest.Check(t, func() *meta.LabelSelector { return &meta.LabelSelector{} }, (*meta.LabelSelector).DeepCopy)
}
