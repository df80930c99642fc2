package resource_test

import (
	"encoding/json"
	"fmt"

	"github.com/longshore/longshore/api/resource"
)

func ExampleParseQuantity() {
	for _, s := range []string{"1.5Gi", "0.5", "1000m", "2e3", "129M"} {
		q, err := resource.ParseQuantity(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s -> %s (%d milli)\n", s, q.String(), q.MilliValue())
	}
	// Output:
	// 1.5Gi -> 1536Mi (1610612736000 milli)
	// 0.5 -> 500m (500 milli)
	// 1000m -> 1 (1000 milli)
	// 2e3 -> 2e3 (2000000 milli)
	// 129M -> 129M (129000000000 milli)
}

func ExampleQuantity_Add() {
	requests := resource.MustParse("250m")
	requests.Add(resource.MustParse("1.5"))
	limit := resource.MustParse("2")
	fmt.Println(requests.String(), requests.Cmp(limit) <= 0)
	// Output: 1750m true
}

func ExampleQuantity_MarshalJSON() {
	var v struct {
		Memory resource.Quantity `json:"memory"`
	}
	_ = json.Unmarshal([]byte(`{"memory": "1048576Ki"}`), &v)
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
	// Output: {"memory":"1Gi"}
}
