package main

import (
	"fmt"
	"os"
	"syscall"
)

// Example_wait shows the pause container's signal loop: every SIGCHLD
// reaps exited children (here a counting stand-in for reapChildren), and
// the first other signal, SIGTERM or SIGINT, ends it (main then exits 0).
// Signals queued after that one are not looked at.
func Example_wait() {
	sigs := make(chan os.Signal, 8)
	sigs <- syscall.SIGCHLD
	sigs <- syscall.SIGCHLD
	sigs <- syscall.SIGTERM
	sigs <- syscall.SIGCHLD
	reaped := 0
	sig := wait(sigs, func() { reaped++ })
	fmt.Printf("reaped %d times, stopped on %v, %d signal(s) left\n", reaped, sig, len(sigs))

	// A closed channel ends the loop too, once the SIGCHLD still queued
	// has been handled.
	close(sigs)
	fmt.Println(wait(sigs, func() { reaped++ }), reaped)
	// Output:
	// reaped 2 times, stopped on terminated, 1 signal(s) left
	// <nil> 3
}
