// Command testserver is the program of Longshore's "test server" image.
//
//	testserver [serve] [-listen ADDR]  serve HTTP: / answers the hostname, /healthz "ok"
//	testserver sleep SECONDS           sleep, then exit 0
//	testserver crash CODE [SECONDS]    exit with CODE, after SECONDS (default 0)
//
// SIGTERM and SIGINT end it with status 0. Standard library only, so that
// cri/ocibuild can build it statically in a scratch module.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	args := os.Args[1:]
	mode := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		mode, args = args[0], args[1:]
	}
	switch mode {
	case "serve":
		listen := ":8080"
		if len(args) == 2 && args[0] == "-listen" {
			listen = args[1]
		}
		os.Exit(serve(ctx, listen))
	case "sleep":
		os.Exit(sleep(ctx, arg(args, 0), 0))
	case "crash":
		code, err := strconv.Atoi(arg(args, 0))
		if err != nil {
			fmt.Fprintln(os.Stderr, "testserver: crash CODE [SECONDS]")
			os.Exit(2)
		}
		os.Exit(sleep(ctx, arg(args, 1), code))
	default:
		fmt.Fprintf(os.Stderr, "testserver: unknown mode %q (serve, sleep, crash)\n", mode)
		os.Exit(2)
	}
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return "0"
}

// sleep waits seconds (or a signal, which means exit 0) and returns code.
func sleep(ctx context.Context, seconds string, code int) int {
	secs, err := strconv.ParseFloat(seconds, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "testserver: bad seconds %q\n", seconds)
		return 2
	}
	select {
	case <-time.After(time.Duration(secs * float64(time.Second))):
		return code
	case <-ctx.Done():
		return 0
	}
}

// handler answers host on every path but /healthz, which answers "ok".
func handler(host string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, host) })
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

func serve(ctx context.Context, listen string) int {
	host, _ := os.Hostname()
	srv := &http.Server{Addr: listen, Handler: handler(host), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Printf("testserver: serving on %s as %s\n", listen, host)
	select {
	case err := <-errc:
		fmt.Fprintln(os.Stderr, "testserver:", err)
		return 1
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return 0
	}
}
