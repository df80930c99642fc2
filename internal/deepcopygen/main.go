// Command deepcopygen writes zz_generated.deepcopy.go for the Go package in
// the current directory: DeepCopyInto and DeepCopy for every struct type
// (and every named map or slice type), DeepCopyObject for every kind that
// embeds meta.TypeMeta and meta.ObjectMeta, and DeepCopyList, GetItems and
// SetItems for every list kind (meta.TypeMeta, meta.ListMeta, Items).
//
// It reads the package with go/ast only, so it runs without type-checking
// (the package may not compile before its deep-copy functions exist). A
// package's own types are resolved from its source; types of other packages
// are assumed to have DeepCopyInto, except the value types named in
// shallowExternal.
//
// Use it from a go:generate line in each API package:
//
//	//go:generate go run github.com/longshore/longshore/internal/deepcopygen
//
// With -check it writes nothing and exits with status 1 if the file on disk
// differs from what it would write.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// OutputFile is the name of the generated file.
const OutputFile = "zz_generated.deepcopy.go"

func main() {
	check := flag.Bool("check", false, "report whether "+OutputFile+" is up to date instead of writing it")
	dir := flag.String("dir", ".", "package directory")
	flag.Parse()
	if err := run(*dir, *check); err != nil {
		fmt.Fprintln(os.Stderr, "deepcopygen:", err)
		os.Exit(1)
	}
}

func run(dir string, check bool) error {
	src, err := Generate(dir)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, OutputFile)
	if check {
		old, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, src) {
			return fmt.Errorf("%s is out of date: run go generate", path)
		}
		return nil
	}
	return os.WriteFile(path, src, 0o644)
}
