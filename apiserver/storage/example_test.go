package storage_test

import (
	"context"
	"fmt"

	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/storage"
	"github.com/longshore/longshore/store/memory"
)

// note is a tiny object type for the example.
type note struct {
	meta.TypeMeta   `json:",inline"`
	meta.ObjectMeta `json:"metadata,omitempty"`
	Text            string `json:"text"`
}

func (n *note) DeepCopyObject() meta.Object { c := *n; return &c }

func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := memory.New(nil)
	defer st.Close()

	c := storage.NewCacher(st, nil)
	notes, _ := c.Register(ctx, storage.ResourceConfig{
		Prefix: "/registry/notes/",
		GVK:    meta.GroupVersionKind{Version: "v1", Kind: "Note"},
		New:    func() meta.Object { return &note{} },
	})
	go c.Run(ctx)
	<-c.Ready()

	w, _ := notes.Watch(ctx, "/registry/notes/", storage.WatchOptions{})
	n := &note{ObjectMeta: meta.ObjectMeta{Name: "hello", Namespace: "default"}, Text: "hi"}
	notes.Create(ctx, "/registry/notes/default/hello", n, storage.CreateOptions{})

	ev, _ := w.Next(ctx)
	fmt.Println(ev.Type, string(ev.Object.JSON))
	// Output: ADDED {"kind":"Note","apiVersion":"v1","metadata":{"name":"hello","namespace":"default","resourceVersion":"1","creationTimestamp":null},"text":"hi"}
}
