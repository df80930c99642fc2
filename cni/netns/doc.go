// Package netns creates, enters, lists and deletes named Linux network
// namespaces, the way `ip netns` does: each namespace is kept alive by a bind
// mount of its nsfs inode onto a file in a directory (DefaultDir,
// /var/run/netns, unless the caller gives another one, as tests do).
//
// # Basics
//
// Create makes a namespace and pins it; the returned NetNS has a Path that
// CNI plugins and OCI runtimes accept. Do runs a function inside the
// namespace on a dedicated, locked OS thread and restores the thread's
// original namespace afterwards. Delete unmounts and removes the pin file and
// is idempotent, so it is safe on error paths and in t.Cleanup.
//
// The package is public rather than internal because a node agent, a CRI
// shim and tests that build "hosts" out of namespaces all need the same
// handful of operations, and getting the thread handling right is the part
// users should not have to rewrite.
//
// # Caveats
//
// Only the goroutine that runs fn inside Do is in the namespace: goroutines
// that fn starts run on other OS threads in the process's namespace. Sockets
// opened inside fn stay bound to the namespace after Do returns, which is the
// usual way to talk to a namespace from ordinary goroutines.
//
// If the original namespace cannot be restored after fn, the thread is left
// locked so that the Go runtime destroys it instead of reusing it: a
// namespace never leaks into unrelated goroutines.
//
// Creating, entering and deleting namespaces needs CAP_SYS_ADMIN (root).
package netns
