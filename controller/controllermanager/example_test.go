package controllermanager_test

import (
	"errors"
	"fmt"

	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/controller/controllermanager"
)

// ExampleNew builds a manager running two of the built-in controllers;
// Start (or controllermanager.Run) runs it.
func ExampleNew() {
	c, err := client.New(&client.Config{Host: "http://127.0.0.1:8080"})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = controllermanager.New(c, &controllermanager.Options{
		Controllers: []string{controllermanager.ReplicaSet, controllermanager.Deployment},
		Identity:    "cm-1",
	})
	fmt.Println(err)
	_, err = controllermanager.New(c, &controllermanager.Options{Controllers: []string{"cronjob"}})
	fmt.Println(errors.Is(err, controllermanager.ErrUnknownController))
	// Output:
	// <nil>
	// true
}
