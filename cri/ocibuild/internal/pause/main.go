// Command pause is the sandbox ("pause") container of Longshore's test
// images: it holds the pod's namespaces, reaps orphaned children, and exits
// 0 on SIGTERM or SIGINT. It uses only the standard library so that
// cri/ocibuild can build it statically in a scratch module.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	wait(sigs, reapChildren)
	os.Exit(0)
}

// wait handles signals until one asks the pause process to exit, and
// returns it (nil if sigs is closed): on SIGCHLD it calls reap, any other
// signal ends the wait.
func wait(sigs <-chan os.Signal, reap func()) os.Signal {
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			return sig
		}
		reap()
	}
	return nil
}

// reapChildren collects every child that has exited, without blocking.
func reapChildren() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			break
		}
	}
}
