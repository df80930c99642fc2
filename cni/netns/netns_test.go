package netns

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/longshore/longshore/internal/testenv"
)

func nsInode(tb testing.TB, path string) uint64 {
	tb.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		tb.Fatalf("stat %s: %v", path, err)
	}
	return st.Ino
}

// threadsInHostNS fails the test if a thread of the process stays in another
// network namespace than the process's initial one. Threads that Create
// abandons end shortly after Create returns, so the check polls briefly.
func threadsInHostNS(tb testing.TB, host uint64) {
	tb.Helper()
	var strays []string
	for range 100 {
		strays = strays[:0]
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			tb.Fatal(err)
		}
		for _, task := range tasks {
			var st unix.Stat_t
			if err := unix.Stat(filepath.Join("/proc/self/task", task.Name(), "ns/net"), &st); err != nil {
				continue // the thread ended meanwhile
			}
			if st.Ino != host {
				strays = append(strays, fmt.Sprintf("thread %s in netns %d", task.Name(), st.Ino))
			}
		}
		if len(strays) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Errorf("threads outside the host netns %d: %v", host, strays)
}

func TestInvalidNames(t *testing.T) {
	for _, name := range []string{"", ".", "..", "a/b", "../x"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			if _, err := Create(t.TempDir(), name); !errors.Is(err, ErrInvalidName) {
				t.Fatalf("Create(%q) = %v, want ErrInvalidName", name, err)
			}
			if _, err := Get(t.TempDir(), name); !errors.Is(err, ErrInvalidName) {
				t.Fatalf("Get(%q) = %v, want ErrInvalidName", name, err)
			}
		})
	}
}

func TestNotNamespaces(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(plain); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open(plain file) = %v, want ErrNotFound", err)
	}
	if _, err := Get(dir, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
	ran := false
	if err := Do(plain, func() error { ran = true; return nil }); !errors.Is(err, ErrNotFound) || ran {
		t.Fatalf("Do(plain file) = %v ran=%v, want ErrNotFound and fn not run", err, ran)
	}
	names, err := List(dir)
	if err != nil || len(names) != 0 {
		t.Fatalf("List = %v, %v; want no namespaces", names, err)
	}
	if names, err := List(filepath.Join(dir, "nope")); err != nil || names != nil {
		t.Fatalf("List(missing dir) = %v, %v", names, err)
	}
	if err := Delete(filepath.Join(dir, "nope")); err != nil {
		t.Fatalf("Delete(missing) = %v", err)
	}
}

func TestLifecycle(t *testing.T) {
	testenv.NeedRoot(t)
	dir := filepath.Join(t.TempDir(), "netns")
	host := nsInode(t, "/proc/self/ns/net")

	a, err := Create(dir, "a")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Delete() })
	b, err := Create(dir, "b")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Delete() })
	if _, err := Create(dir, "a"); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create(a) = %v, want ErrExists", err)
	}
	if a.Name() != "a" || a.Path() != filepath.Join(dir, "a") {
		t.Fatalf("name/path = %s %s", a.Name(), a.Path())
	}
	if ia, ib := nsInode(t, a.Path()), nsInode(t, b.Path()); ia == host || ib == host || ia == ib {
		t.Fatalf("namespaces not distinct: host %d a %d b %d", host, ia, ib)
	}
	got, err := Get(dir, "a")
	if err != nil || got.Path() != a.Path() {
		t.Fatalf("Get(a) = %v, %v", got, err)
	}
	names, err := List(dir)
	if err != nil || fmt.Sprint(names) != "[a b]" {
		t.Fatalf("List = %v, %v; want [a b]", names, err)
	}

	// Inside: the thread is in a's namespace, which has only a loopback.
	var inside uint64
	var ifaces []net.Interface
	err = a.Do(func() error {
		inside = nsInode(t, fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		var err error
		ifaces, err = net.Interfaces()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if inside != nsInode(t, a.Path()) {
		t.Fatalf("inside Do the thread is in %d, want %d", inside, nsInode(t, a.Path()))
	}
	if len(ifaces) != 1 || ifaces[0].Name != "lo" {
		t.Fatalf("interfaces inside a fresh namespace = %v, want only lo", ifaces)
	}

	// Errors and panics from fn come back, and no thread stays inside.
	boom := errors.New("boom")
	if err := a.Do(func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Do error = %v, want boom", err)
	}
	if err := a.Do(func() error { panic("oops") }); err == nil {
		t.Fatal("Do with a panicking fn returned nil")
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.Do(func() error { return nil })
		}()
	}
	wg.Wait()
	threadsInHostNS(t, host)

	if err := a.Delete(); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(); err != nil {
		t.Fatalf("second Delete = %v, want nil", err)
	}
	if _, err := os.Stat(a.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pin file still there after Delete: %v", err)
	}
	if err := a.Do(func() error { return nil }); err == nil {
		t.Fatal("Do on a deleted namespace succeeded")
	}
	names, _ = List(dir)
	if fmt.Sprint(names) != "[b]" {
		t.Fatalf("List after delete = %v, want [b]", names)
	}
}

// A socket opened inside Do keeps working from ordinary goroutines: two
// namespaces each have their own loopback.
func TestSocketsStayInNamespace(t *testing.T) {
	testenv.NeedRoot(t)
	n, err := Create(t.TempDir(), "sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Delete() })
	var ln net.Listener
	// A fresh namespace's loopback is down.
	if err := n.SetLoopbackUp(); err != nil {
		t.Fatal(err)
	}
	err = n.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	// From the host namespace the port is not there (or belongs to someone
	// else); from inside it answers.
	err = n.Do(func() error {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, 2)
		if _, err := c.Read(buf); err != nil {
			return err
		}
		if string(buf) != "hi" {
			return fmt.Errorf("read %q", buf)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
