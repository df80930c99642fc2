package garbagecollector_test

import (
	"fmt"

	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller"
	"github.com/longshore/longshore/controller/garbagecollector"
)

// ExampleNew builds a collector and hands it to a Manager, which runs it
// while it holds the leadership.
func ExampleNew() {
	c, err := client.New(&client.Config{Host: "http://127.0.0.1:8080"})
	if err != nil {
		fmt.Println(err)
		return
	}
	gc, err := garbagecollector.New(c, &garbagecollector.Options{Workers: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := controller.NewManager(c, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Add(gc), gc.HasSynced())
	// Output: <nil> false
}
