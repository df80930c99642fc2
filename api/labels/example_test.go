package labels_test

import (
	"fmt"

	"github.com/longshore/longshore/api/labels"
	"github.com/longshore/longshore/api/meta"
)

func ExampleParse() {
	sel, err := labels.Parse("tier in (frontend, cache), env!=dev, !canary")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel.String())
	fmt.Println(sel.Matches(labels.Set{"tier": "frontend", "env": "prod"}))
	fmt.Println(sel.Matches(labels.Set{"tier": "frontend", "canary": "true"}))
	_, err = labels.Parse("tier in frontend")
	fmt.Println(err)
	// Output:
	// !canary,env!=dev,tier in (cache,frontend)
	// true
	// false
	// invalid label selector "tier in frontend": at offset 8: found "frontend", expected '('
}

func ExampleFromLabelSelector() {
	sel, _ := labels.FromLabelSelector(&meta.LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []meta.LabelSelectorRequirement{
			{Key: "track", Operator: meta.LabelSelectorOpNotIn, Values: []string{"canary"}},
		},
	})
	fmt.Println(sel, sel.Matches(labels.Set{"app": "web", "track": "stable"}))
	// Output: app=web,track notin (canary) true
}
