package sample

import "encoding/json"

type Mode string

type Labels map[string]string

type Inner struct {
	Values []int
}

type Outer struct {
	Name   string
	Mode   *Mode
	Labels Labels
	Inner  Inner
	Ptrs   []*Inner
	ByKey  map[string][]byte
	Raw    json.RawMessage
	Fixed  [2]*int
	hidden *int
}
