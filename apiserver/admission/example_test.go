package admission_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/admission"
)

// noLatest refuses pods whose images use the :latest tag.
type noLatest struct{}

func (noLatest) Validate(_ context.Context, a *admission.Attributes) error {
	if pod, ok := a.Object.(*core.Pod); ok {
		for _, c := range pod.Spec.Containers {
			if len(c.Image) > 7 && c.Image[len(c.Image)-7:] == ":latest" {
				return errors.New("images must be pinned, not :latest")
			}
		}
	}
	return nil
}

func ExampleChain() {
	chain := &admission.Chain{Validators: []admission.Validator{noLatest{}}}
	pod := &core.Pod{ObjectMeta: meta.ObjectMeta{Name: "web"}, Spec: core.PodSpec{Containers: []core.Container{{Name: "web", Image: "nginx:latest"}}}}
	err := chain.Validate(context.Background(), &admission.Attributes{Operation: admission.Create, Object: pod})
	fmt.Println(err)
	// Output: images must be pinned, not :latest
}
