package website

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/apiextensions"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/client"
	"sigs.k8s.io/yaml"
)

//go:embed crd.yaml
var crdYAML []byte

// ErrNotEstablished is returned by InstallCRD when the definition exists
// but the API server has not established it (names in conflict, for
// example) before ctx ended.
var ErrNotEstablished = errors.New("website: CustomResourceDefinition not established")

// CRD returns the Website CustomResourceDefinition (crd.yaml in this
// folder): the schema with its defaults (replicas 1, port 80), the status
// and scale subresources and kubectl's printer columns.
func CRD() (*apiextensions.CustomResourceDefinition, error) {
	crd := &apiextensions.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(crdYAML, crd); err != nil {
		return nil, fmt.Errorf("website: parse crd.yaml: %w", err)
	}
	return crd, nil
}

// InstallCRD creates the definition unless one of that name exists (an
// existing one is left as it is), then waits until the API server serves
// it. It blocks until then or until ctx ends.
func InstallCRD(ctx context.Context, c *client.Client) error {
	crd, err := CRD()
	if err != nil {
		return err
	}
	crds, err := client.For[*apiextensions.CustomResourceDefinition](c)
	if err != nil {
		return err
	}
	if _, err := crds.Create(ctx, crd, client.WriteOptions{}); err != nil && !apierror.IsAlreadyExists(err) {
		return fmt.Errorf("website: create %s: %w", CRDName, err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		got, err := crds.Get(ctx, CRDName)
		if err != nil {
			last = err.Error()
		} else if established(got) {
			return nil
		} else {
			last = "conditions " + fmt.Sprint(got.Status.Conditions)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %s (%s): %w", ErrNotEstablished, CRDName, last, ctx.Err())
		case <-tick.C:
		}
	}
}

func established(crd *apiextensions.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensions.Established && c.Status == meta.ConditionTrue {
			return true
		}
	}
	return false
}
