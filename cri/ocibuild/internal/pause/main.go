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
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
