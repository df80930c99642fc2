package raft

import (
	"math"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// TestModelCatchesViolations makes sure the checker is able to fail: each
// history here is not linearizable, except the controls.
func TestModelCatchesViolations(t *testing.T) {
	op := func(client int, in kvInput, call, ret int64, out kvOutput) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
	}
	put := func(v string) kvInput { return kvInput{Op: opPut, Key: "k", Value: v} }
	get := kvInput{Op: opGet, Key: "k"}
	tests := []struct {
		name string
		ops  []porcupine.Operation
		ok   bool
	}{
		{"read after write sees it", []porcupine.Operation{
			op(0, put("a"), 0, 10, kvOutput{Kind: outOK, Rev: 1}),
			op(1, get, 20, 30, kvOutput{Kind: outOK, Value: "a", Rev: 1}),
		}, true},
		{"stale read", []porcupine.Operation{
			op(0, put("a"), 0, 10, kvOutput{Kind: outOK, Rev: 1}),
			op(1, get, 20, 30, kvOutput{Kind: outNotFound}),
		}, false},
		{"lost acknowledged update", []porcupine.Operation{
			op(0, put("a"), 0, 10, kvOutput{Kind: outOK, Rev: 1}),
			op(0, kvInput{Op: opSet, Key: "k", Value: "b"}, 11, 20, kvOutput{Kind: outOK, Rev: 2}),
			op(1, get, 30, 40, kvOutput{Kind: outOK, Value: "a", Rev: 1}),
		}, false},
		{"two CAS winners", []porcupine.Operation{
			op(0, put("a"), 0, 10, kvOutput{Kind: outOK, Rev: 1}),
			op(1, kvInput{Op: opCAS, Key: "k", Value: "b", Rev: 1}, 20, 30, kvOutput{Kind: outOK, Rev: 2}),
			op(2, kvInput{Op: opCAS, Key: "k", Value: "c", Rev: 1}, 20, 30, kvOutput{Kind: outOK, Rev: 3}),
		}, false},
		{"ambiguous write may apply", []porcupine.Operation{
			op(0, put("a"), 0, math.MaxInt64, kvOutput{Kind: outUnknown}),
			op(1, get, 20, 30, kvOutput{Kind: outOK, Value: "a", Rev: 5}),
		}, true},
		{"ambiguous write may not apply", []porcupine.Operation{
			op(0, put("a"), 0, math.MaxInt64, kvOutput{Kind: outUnknown}),
			op(1, get, 20, 30, kvOutput{Kind: outNotFound}),
		}, true},
		{"revision goes backwards", []porcupine.Operation{
			op(0, put("a"), 0, 10, kvOutput{Kind: outOK, Rev: 5}),
			op(0, kvInput{Op: opSet, Key: "k", Value: "b"}, 11, 20, kvOutput{Kind: outOK, Rev: 4}),
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := porcupine.CheckOperationsTimeout(kvModel.ToModel(), tt.ops, 10*time.Second)
			if got := res == porcupine.Ok; got != tt.ok {
				t.Fatalf("linearizable = %v (%v), want %v", got, res, tt.ok)
			}
		})
	}
}
