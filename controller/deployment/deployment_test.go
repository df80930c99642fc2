package deployment

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/longshore/longshore/api/apps"
	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/api/intstr"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/apiservertest"
	"github.com/longshore/longshore/apiserver/client"
)

var writeOpts = client.WriteOptions{}

func TestFenceposts(t *testing.T) {
	tests := []struct {
		name                string
		replicas            int32
		surge, unavail      intstr.IntOrString
		wantSurge, wantUnav int32
	}{
		{"percent rounds surge up and unavailable down", 10, intstr.FromString("25%"), intstr.FromString("25%"), 3, 2},
		{"numbers", 10, intstr.FromInt(2), intstr.FromInt(1), 2, 1},
		{"both zero allows one unavailable", 3, intstr.FromInt(0), intstr.FromString("0%"), 0, 1},
		{"small percent", 1, intstr.FromString("25%"), intstr.FromString("25%"), 1, 0},
		{"unavailable capped at replicas", 2, intstr.FromInt(0), intstr.FromInt(5), 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := rolling(newDeployment("x", tt.replicas, "img"), tt.surge, tt.unavail)
			s, u := fenceposts(d)
			if s != tt.wantSurge || u != tt.wantUnav {
				t.Fatalf("fenceposts = %d, %d; want %d, %d", s, u, tt.wantSurge, tt.wantUnav)
			}
		})
	}
	d := newDeployment("x", 4, "img")
	d.Spec.Strategy.Type = apps.RecreateDeploymentStrategyType
	if s, u := fenceposts(d); s != 0 || u != 0 {
		t.Fatalf("recreate fenceposts = %d, %d", s, u)
	}
}

func TestComputeHash(t *testing.T) {
	a := newDeployment("x", 1, "img:1").Spec.Template
	b := newDeployment("x", 1, "img:2").Spec.Template
	withHash := a.DeepCopy()
	withHash.Labels[PodTemplateHashLabel] = "abc"
	one := int32(1)
	tests := []struct {
		name  string
		got   string
		other string
		same  bool
	}{
		{"stable", ComputeHash(&a, nil), ComputeHash(a.DeepCopy(), nil), true},
		{"ignores the hash label", ComputeHash(&a, nil), ComputeHash(withHash, nil), true},
		{"template changes it", ComputeHash(&a, nil), ComputeHash(&b, nil), false},
		{"collision count changes it", ComputeHash(&a, nil), ComputeHash(&a, &one), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.got == tt.other) != tt.same {
				t.Fatalf("%q vs %q, same=%v", tt.got, tt.other, tt.same)
			}
			for _, c := range tt.got {
				if !containsRune(hashAlphabet, c) {
					t.Fatalf("hash %q has %q outside the alphabet", tt.got, c)
				}
			}
		})
	}
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}

func TestRollingUpdate(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	d := e.create(t, rolling(newDeployment("web", 4, "img:1"), intstr.FromInt(1), intstr.FromInt(0)))
	d = e.waitComplete(t, "web", 15*time.Second)
	sets := e.sets(t, "web")
	if len(sets) != 1 {
		t.Fatalf("%d replica sets, want 1", len(sets))
	}
	first := sets[0]
	hash := ComputeHash(&d.Spec.Template, nil)
	if first.Name != "web-"+hash || first.Labels[PodTemplateHashLabel] != hash || first.Spec.Selector.MatchLabels[PodTemplateHashLabel] != hash ||
		first.Spec.Template.Labels[PodTemplateHashLabel] != hash {
		t.Fatalf("replica set %s labels %v selector %v, want hash %s", first.Name, first.Labels, first.Spec.Selector.MatchLabels, hash)
	}
	if first.Annotations[RevisionAnnotation] != "1" || d.Annotations[RevisionAnnotation] != "1" {
		t.Fatalf("revisions rs=%q deployment=%q, want 1", first.Annotations[RevisionAnnotation], d.Annotations[RevisionAnnotation])
	}

	// Roll to img:2 and watch that the total never exceeds replicas+maxSurge
	// and that availability never drops below replicas-maxUnavailable.
	e.mutate(t, "web", func(d *apps.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "img:2" })
	deadline := time.Now().Add(20 * time.Second)
	for {
		var total int32
		for _, rs := range e.sets(t, "web") {
			total += *rs.Spec.Replicas
		}
		if total > 5 {
			t.Fatalf("replica sets sum to %d replicas, above replicas+maxSurge=5", total)
		}
		cur, err := e.deps.Get(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if cur.Status.ObservedGeneration == cur.Generation && cur.Status.AvailableReplicas < 4 {
			t.Fatalf("available %d below replicas-maxUnavailable=4", cur.Status.AvailableReplicas)
		}
		if cur.Status.ObservedGeneration == cur.Generation && cur.Status.UpdatedReplicas == 4 && cur.Status.Replicas == 4 && cur.Status.AvailableReplicas == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout did not finish: %+v", cur.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	d = e.waitComplete(t, "web", 10*time.Second)
	sets = e.sets(t, "web")
	if len(sets) != 2 {
		t.Fatalf("%d replica sets, want 2", len(sets))
	}
	for _, rs := range sets {
		switch rs.UID {
		case first.UID:
			if *rs.Spec.Replicas != 0 {
				t.Fatalf("old set still has %d replicas", *rs.Spec.Replicas)
			}
		default:
			if rs.Annotations[RevisionAnnotation] != "2" || *rs.Spec.Replicas != 4 || rs.Spec.Template.Spec.Containers[0].Image != "img:2" {
				t.Fatalf("new set %s: revision %q replicas %d", rs.Name, rs.Annotations[RevisionAnnotation], *rs.Spec.Replicas)
			}
		}
	}
	if d.Annotations[RevisionAnnotation] != "2" {
		t.Fatalf("deployment revision %q, want 2", d.Annotations[RevisionAnnotation])
	}
}

func TestRecreate(t *testing.T) {
	e := setup(t)
	d := newDeployment("db", 3, "img:1")
	d.Spec.Strategy.Type = apps.RecreateDeploymentStrategyType
	e.create(t, d)
	e.waitComplete(t, "db", 15*time.Second)
	old := e.sets(t, "db")[0]
	e.mutate(t, "db", func(d *apps.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "img:2" })
	apiservertest.Eventually(t, 15*time.Second, func() error {
		sets := e.sets(t, "db")
		for _, rs := range sets {
			if rs.UID != old.UID && *rs.Spec.Replicas > 0 && e.activePods(t, old) > 0 {
				t.Fatalf("new set %s scaled up while the old set still has pods", rs.Name)
			}
		}
		if len(sets) != 2 {
			return fmt.Errorf("%d sets", len(sets))
		}
		return nil
	})
	e.waitComplete(t, "db", 15*time.Second)
	if n := e.activePods(t, old); n != 0 {
		t.Fatalf("old set has %d pods after recreate", n)
	}
}

func TestRollbackReusesOldSet(t *testing.T) {
	e := setup(t)
	e.create(t, rolling(newDeployment("app", 2, "img:1"), intstr.FromString("50%"), intstr.FromString("50%")))
	e.waitComplete(t, "app", 15*time.Second)
	v1 := e.sets(t, "app")[0]
	e.mutate(t, "app", func(d *apps.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "img:2" })
	e.waitComplete(t, "app", 15*time.Second)
	// Roll back: the template goes back to v1's (as kubectl rollout undo does).
	e.mutate(t, "app", func(d *apps.Deployment) {
		tmpl := v1.Spec.Template.DeepCopy()
		delete(tmpl.Labels, PodTemplateHashLabel)
		d.Spec.Template = *tmpl
	})
	d := e.waitComplete(t, "app", 15*time.Second)
	sets := e.sets(t, "app")
	if len(sets) != 2 {
		t.Fatalf("%d sets after rollback, want 2 (the old one reused)", len(sets))
	}
	for _, rs := range sets {
		if rs.UID == v1.UID {
			if rs.Annotations[RevisionAnnotation] != "3" || *rs.Spec.Replicas != 2 {
				t.Fatalf("reused set: revision %q replicas %d, want 3 and 2", rs.Annotations[RevisionAnnotation], *rs.Spec.Replicas)
			}
		} else if *rs.Spec.Replicas != 0 {
			t.Fatalf("v2 set still has %d replicas", *rs.Spec.Replicas)
		}
	}
	if d.Annotations[RevisionAnnotation] != "3" {
		t.Fatalf("deployment revision %q, want 3", d.Annotations[RevisionAnnotation])
	}
}

func TestRevisionHistoryLimit(t *testing.T) {
	e := setup(t)
	d := rolling(newDeployment("hist", 1, "img:0"), intstr.FromInt(1), intstr.FromInt(0))
	one := int32(1)
	d.Spec.RevisionHistoryLimit = &one
	e.create(t, d)
	e.waitComplete(t, "hist", 15*time.Second)
	for i := 1; i <= 3; i++ {
		e.mutate(t, "hist", func(d *apps.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "img:" + strconv.Itoa(i) })
		e.waitComplete(t, "hist", 15*time.Second)
	}
	apiservertest.Eventually(t, 10*time.Second, func() error {
		sets := e.sets(t, "hist")
		if len(sets) != 2 {
			return fmt.Errorf("%d sets, want the new one and 1 old", len(sets))
		}
		for _, rs := range sets {
			if r := rs.Annotations[RevisionAnnotation]; r != "3" && r != "4" {
				return fmt.Errorf("kept revision %s, want 3 and 4", r)
			}
		}
		return nil
	})
}

func TestPauseResumeAndScale(t *testing.T) {
	e := setup(t)
	e.create(t, rolling(newDeployment("p", 2, "img:1"), intstr.FromInt(1), intstr.FromInt(0)))
	e.waitComplete(t, "p", 15*time.Second)
	e.mutate(t, "p", func(d *apps.Deployment) {
		d.Spec.Paused = true
		d.Spec.Template.Spec.Containers[0].Image = "img:2"
		d.Spec.Replicas = ptr(int32(3))
	})
	apiservertest.Eventually(t, 10*time.Second, func() error {
		d, err := e.deps.Get(context.Background(), "p")
		if err != nil {
			return err
		}
		if c := condition(d.Status.Conditions, apps.DeploymentProgressing); c == nil || c.Reason != ReasonPaused || c.Status != core.ConditionUnknown {
			return fmt.Errorf("progressing %+v", c)
		}
		sets := e.sets(t, "p")
		if len(sets) != 1 || *sets[0].Spec.Replicas != 3 {
			return fmt.Errorf("%d sets; want the old set alone, scaled to 3", len(sets))
		}
		return nil
	})
	// Stay paused a little: still no new set.
	time.Sleep(200 * time.Millisecond)
	if n := len(e.sets(t, "p")); n != 1 {
		t.Fatalf("paused deployment has %d sets", n)
	}
	e.mutate(t, "p", func(d *apps.Deployment) { d.Spec.Paused = false })
	d := e.waitComplete(t, "p", 15*time.Second)
	if d.Annotations[RevisionAnnotation] != "2" {
		t.Fatalf("revision %q after resume, want 2", d.Annotations[RevisionAnnotation])
	}
}

func ptr[T any](v T) *T { return &v }

func TestProgressDeadlineExceeded(t *testing.T) {
	e := setup(t)
	e.ready.Store(false)
	d := newDeployment("slow", 2, "img:1")
	d.Spec.ProgressDeadlineSeconds = ptr(int32(1))
	e.create(t, d)
	apiservertest.Eventually(t, 15*time.Second, func() error {
		d, err := e.deps.Get(context.Background(), "slow")
		if err != nil {
			return err
		}
		if c := condition(d.Status.Conditions, apps.DeploymentProgressing); c == nil || c.Reason != ReasonTimedOut || c.Status != core.ConditionFalse {
			return fmt.Errorf("progressing %+v", c)
		}
		if c := condition(d.Status.Conditions, apps.DeploymentAvailable); c == nil || c.Reason != ReasonMinimumUnavailable {
			return fmt.Errorf("available %+v", c)
		}
		if d.Status.UnavailableReplicas != 2 {
			return fmt.Errorf("unavailable %d, want 2", d.Status.UnavailableReplicas)
		}
		return nil
	})
	// Pods become ready: the rollout completes and Progressing recovers.
	e.ready.Store(true)
	e.waitComplete(t, "slow", 15*time.Second)
}

func TestAdoptsOrphanReplicaSet(t *testing.T) {
	e := setup(t)
	d := newDeployment("adopt", 1, "img:1")
	hash := ComputeHash(&d.Spec.Template, nil)
	tmpl := d.Spec.Template.DeepCopy()
	tmpl.Labels[PodTemplateHashLabel] = hash
	rs := &apps.ReplicaSet{
		ObjectMeta: meta.ObjectMeta{Name: "adopt-orphan", Namespace: "default", Labels: tmpl.Labels},
		Spec:       apps.ReplicaSetSpec{Replicas: ptr(int32(1)), Selector: &meta.LabelSelector{MatchLabels: tmpl.Labels}, Template: *tmpl},
	}
	if _, err := e.rsets.Create(context.Background(), rs, writeOpts); err != nil {
		t.Fatal(err)
	}
	e.create(t, d)
	e.waitComplete(t, "adopt", 15*time.Second)
	sets := e.sets(t, "adopt")
	if len(sets) != 1 || sets[0].Name != "adopt-orphan" {
		t.Fatalf("sets %v, want the adopted orphan only", names(sets))
	}
}

func names(sets []*apps.ReplicaSet) []string {
	var out []string
	for _, rs := range sets {
		out = append(out, rs.Name)
	}
	return out
}

func TestProportionalScalingMidRollout(t *testing.T) {
	e := setup(t)
	e.create(t, rolling(newDeployment("mid", 4, "img:1"), intstr.FromInt(2), intstr.FromInt(0)))
	e.waitComplete(t, "mid", 15*time.Second)
	// New pods never get ready: the rollout stalls with both sets active.
	e.ready.Store(false)
	e.mutate(t, "mid", func(d *apps.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "img:2" })
	apiservertest.Eventually(t, 10*time.Second, func() error {
		sets := e.sets(t, "mid")
		if len(sets) != 2 {
			return fmt.Errorf("%d sets", len(sets))
		}
		for _, rs := range sets {
			if rs.Spec.Template.Spec.Containers[0].Image == "img:2" && *rs.Spec.Replicas != 2 {
				return fmt.Errorf("new set at %d, want 2 (maxSurge)", *rs.Spec.Replicas)
			}
		}
		return nil
	})
	e.mutate(t, "mid", func(d *apps.Deployment) { d.Spec.Replicas = ptr(int32(8)) })
	apiservertest.Eventually(t, 10*time.Second, func() error {
		var oldN, newN int32
		for _, rs := range e.sets(t, "mid") {
			if rs.Spec.Template.Spec.Containers[0].Image == "img:2" {
				newN = *rs.Spec.Replicas
			} else {
				oldN = *rs.Spec.Replicas
			}
		}
		if oldN+newN != 10 || oldN <= 4 || newN <= 2 || oldN <= newN {
			return fmt.Errorf("old %d new %d; want 10 in all (8+maxSurge), both grown, the larger set growing more", oldN, newN)
		}
		return nil
	})
	e.ready.Store(true)
	e.waitComplete(t, "mid", 20*time.Second)
}

func TestReplicaFailureMirrored(t *testing.T) {
	e := setup(t)
	d := newDeployment("fail", 1, "img:1")
	// The API server refuses pods of a service account that does not exist.
	d.Spec.Template.Spec.ServiceAccountName = "missing"
	e.create(t, d)
	apiservertest.Eventually(t, 15*time.Second, func() error {
		d, err := e.deps.Get(context.Background(), "fail")
		if err != nil {
			return err
		}
		if c := condition(d.Status.Conditions, apps.DeploymentReplicaFailure); c == nil || c.Status != core.ConditionTrue || c.Reason != "FailedCreate" {
			return fmt.Errorf("replica failure condition %+v", c)
		}
		return nil
	})
}
