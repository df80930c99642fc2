package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
)

// Example_handler shows what the serve mode answers: the pod's hostname on
// every path (so a client can tell which replica behind a Service it
// reached), and "ok" on /healthz for probes. The handler is called
// directly, with no listener.
func Example_handler() {
	h := handler("web-7d4b9-x2k")
	for _, path := range []string{"/", "/some/page", "/healthz"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		body, _ := io.ReadAll(rec.Body)
		fmt.Printf("%s: %d %q\n", path, rec.Code, body)
	}
	// Output:
	// /: 200 "web-7d4b9-x2k\n"
	// /some/page: 200 "web-7d4b9-x2k\n"
	// /healthz: 200 "ok\n"
}

// Example_sleep shows the exit status of the sleep and crash modes: the
// given code once the time is up, 0 when a signal (here a canceled
// context) comes first, and 2 for seconds that are not a number. A
// missing argument reads as "0".
func Example_sleep() {
	ctx := context.Background()
	fmt.Println(sleep(ctx, arg(nil, 0), 3)) // crash 3: exit 3 at once
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	fmt.Println(sleep(stopped, "3600", 3)) // SIGTERM during crash 3 3600
	fmt.Println(sleep(ctx, "soon", 0))     // bad argument (message on stderr)
	// Output:
	// 3
	// 0
	// 2
}
