package fake_test

import (
	"testing"

	"github.com/longshore/longshore/cri"
	"github.com/longshore/longshore/cri/fake"
	"github.com/longshore/longshore/cri/runtimetest"
)

const testImage = "localhost/longshore/busybox:test"

func newFake(t testing.TB) *fake.Runtime {
	t.Helper()
	rt, err := fake.New(&fake.Options{Images: []string{testImage}, PodCIDR: "198.18.7.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func TestConformance(t *testing.T) {
	var last *fake.Runtime
	runtimetest.Run(t, func(t testing.TB) (cri.RuntimeService, cri.ImageService) {
		rt := newFake(t)
		last = rt
		return rt, rt
	}, &runtimetest.Options{
		Image:      testImage,
		PullImage:  "localhost/longshore/pulled:1",
		Networking: true,
		PodCIDR:    "198.18.7.0/24",
		Events:     true,
		Leaks: func(t testing.TB) []string {
			if n := last.IPsInUse(); n != 0 {
				return []string{"pod IPs still allocated"}
			}
			return nil
		},
	})
}
