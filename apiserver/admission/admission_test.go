package admission

import (
	"context"
	"errors"
	"testing"

	"github.com/longshore/longshore/api/core"
)

type labeler struct{}

func (labeler) Admit(_ context.Context, a *Attributes) error {
	m := a.Object.GetObjectMeta()
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	m.Labels["admitted"] = "yes"
	return nil
}

type createOnly struct{ calls *int }

func (c createOnly) Validate(_ context.Context, a *Attributes) error {
	*c.calls++
	if a.Object.GetObjectMeta().Labels["admitted"] != "yes" {
		return errors.New("mutators must run first")
	}
	return nil
}
func (createOnly) Handles(op Operation) bool { return op == Create }

func TestChainOrderAndHandles(t *testing.T) {
	calls := 0
	c := &Chain{Mutators: []Mutator{labeler{}}, Validators: []Validator{createOnly{&calls}}}
	pod := &core.Pod{}
	a := &Attributes{Operation: Create, Object: pod}
	if err := c.Admit(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || pod.Labels["admitted"] != "yes" {
		t.Fatalf("calls=%d labels=%v", calls, pod.Labels)
	}
	a.Operation = Delete
	c.Validate(context.Background(), a)
	if calls != 1 {
		t.Fatal("a plugin that does not handle Delete must not be called for it")
	}
	var nilChain *Chain
	if nilChain.Admit(context.Background(), a) != nil || nilChain.Validate(context.Background(), a) != nil {
		t.Fatal("a nil chain admits everything")
	}
}
