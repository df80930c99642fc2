package netns_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/longshore/longshore/cni/netns"
)

// Create a namespace, look at its interfaces from inside, and delete it
// (needs root).
func Example() {
	dir, err := os.MkdirTemp("", "netns-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ns, err := netns.Create(dir, "demo")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ns.Delete()
	if err := ns.SetLoopbackUp(); err != nil {
		fmt.Println(err)
		return
	}
	err = ns.Do(func() error {
		ifaces, err := net.Interfaces()
		if err != nil {
			return err
		}
		for _, i := range ifaces {
			fmt.Println(i.Name, i.Flags&net.FlagUp != 0)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
}

// Names are checked before anything is created, and listing a directory
// that does not exist yet is not an error.
func ExampleCreate_invalidName() {
	_, err := netns.Create(os.TempDir(), "../escape")
	fmt.Println(errors.Is(err, netns.ErrInvalidName))
	names, err := netns.List(filepath.Join(os.TempDir(), "no-such-netns-dir"))
	fmt.Println(len(names), err)
	// Output:
	// true
	// 0 <nil>
}
