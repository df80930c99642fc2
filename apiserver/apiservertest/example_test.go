package apiservertest_test

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
)

func ExampleNew() {
	s, err := apiservertest.New(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	ns, _ := client.MustFor[*core.Namespace](s.Client).Get(context.Background(), "kube-system")
	fmt.Println(ns.Name, ns.Status.Phase)
	// Output: kube-system Active
}
