package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/longshore/longshore/api/core"
	"github.com/longshore/longshore/apiserver/client"
	"github.com/longshore/longshore/scheduler/framework"
)

// bindingServer answers pods/binding POSTs on loopback and records them.
func bindingServer(t testing.TB, status int) (*client.Client, *[]core.Binding) {
	t.Helper()
	var got []core.Binding
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/namespaces/default/pods/p/binding" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var b core.Binding
		if err := json.Unmarshal(body, &b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = append(got, b)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Success"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(&client.Config{Host: srv.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c, &got
}

func TestDefaultBinder(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		wantErr string
	}{
		{"created", http.StatusCreated, ""},
		{"conflict", http.StatusConflict, "bind pod default/p to n1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, got := bindingServer(t, tt.status)
			snap := framework.NewSnapshot(nil, nil)
			fw := newFramework(t, snap, &framework.Options{Client: c}, nil, framework.DefaultBinderName)
			st := fw.RunBindPlugins(context.Background(), framework.NewCycleState(), mkPod("p"), "n1")
			if tt.wantErr != "" {
				if st.Code() != framework.Error || !strings.Contains(st.Message(), tt.wantErr) {
					t.Errorf("status %v", st)
				}
			} else if !st.IsSuccess() {
				t.Fatal(st)
			}
			if len(*got) != 1 || (*got)[0].Target.Name != "n1" || (*got)[0].Target.Kind != "Node" || (*got)[0].Name != "p" || (*got)[0].UID != "p-uid" {
				t.Errorf("bindings sent: %+v", *got)
			}
		})
	}
	t.Run("no client", func(t *testing.T) {
		fw := newFramework(t, framework.NewSnapshot(nil, nil), nil, nil, framework.DefaultBinderName)
		st := fw.RunBindPlugins(context.Background(), framework.NewCycleState(), mkPod("p"), "n1")
		if !errors.Is(st.AsError(), framework.ErrNoClient) {
			t.Errorf("status %v", st)
		}
	})
}
