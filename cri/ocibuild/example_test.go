package ocibuild_test

import (
	"fmt"
	"io"
	"io/fs"

	"github.com/longshore/longshore/cri/ocibuild"
)

// Build a one-file image; the result names the manifest and config
// digests an importer will report.
func ExampleWrite() {
	built, err := ocibuild.Write(io.Discard, &ocibuild.Image{
		Ref:        "localhost/example/hello:1",
		Files:      []ocibuild.File{{Path: "/hello.txt", Mode: 0o644, Data: []byte("hello\n")}, {Path: "/tmp", Mode: fs.ModeDir | 0o777}},
		Entrypoint: []string{"/bin/cat", "/hello.txt"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(built.Ref, built.Manifest.Algorithm())
	// Output: localhost/example/hello:1 sha256
}
