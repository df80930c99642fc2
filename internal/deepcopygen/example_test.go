package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Generate returns the deep-copy file for a package directory.
func ExampleGenerate() {
	src, err := Generate(filepath.Join("testdata", "sample"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(string(src)) {
		if strings.HasPrefix(line, "func ") {
			fmt.Print(line)
		}
	}
	// Output:
	// func (in *Inner) DeepCopyInto(out *Inner) {
	// func (in *Inner) DeepCopy() *Inner {
	// func (in Labels) DeepCopyInto(out *Labels) {
	// func (in Labels) DeepCopy() Labels {
	// func (in *Outer) DeepCopyInto(out *Outer) {
	// func (in *Outer) DeepCopy() *Outer {
}
