package framework

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

type intState struct{ v int }

func (s *intState) Clone() StateData { c := *s; return &c }

func TestCycleState(t *testing.T) {
	cs := NewCycleState()
	if _, err := cs.Read("k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read of a missing key: %v", err)
	}
	cs.Write("k", &intState{1})
	clone := cs.Clone()
	got, err := ReadAs[*intState](cs, "k")
	if err != nil || got.v != 1 {
		t.Fatalf("ReadAs = %v, %v", got, err)
	}
	got.v = 2 // the clone must not see it
	c, _ := ReadAs[*intState](clone, "k")
	if c.v != 1 {
		t.Errorf("clone shares data: %d", c.v)
	}
	cs.Delete("k")
	if _, err := cs.Read("k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete did not delete: %v", err)
	}
	clone.Write("n", nodePortsLike{})
	if _, err := ReadAs[*intState](clone, "n"); err == nil {
		t.Error("ReadAs with the wrong type succeeded")
	}
}

type nodePortsLike struct{}

func (nodePortsLike) Clone() StateData { return nodePortsLike{} }

func TestCycleStateConcurrent(t *testing.T) {
	cs := NewCycleState()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				k := StateKey(fmt.Sprintf("%d%d", i, j%5))
				cs.Write(k, &intState{j})
				_, _ = cs.Read(k)
				_ = cs.Clone()
			}
		}()
	}
	wg.Wait()
	if _, err := cs.Read("00"); err != nil {
		t.Error(err)
	}
}
