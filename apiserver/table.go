package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/longshore/longshore/api/apierror"
	"github.com/longshore/longshore/api/meta"
	"github.com/longshore/longshore/apiserver/storage"
)

// Table is meta.k8s.io/v1 Table, the server-side rendering kubectl get
// prints.
type Table struct {
	meta.TypeMeta     `json:",inline"`
	meta.ListMeta     `json:"metadata"`
	ColumnDefinitions []TableColumn `json:"columnDefinitions"`
	Rows              []TableRow    `json:"rows"`
}

// TableColumn describes a column.
type TableColumn struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	Description string `json:"description"`
	Priority    int32  `json:"priority"`
}

// TableRow is one object's row.
type TableRow struct {
	Cells  []any           `json:"cells"`
	Object json.RawMessage `json:"object,omitempty"`
}

// Printer renders the columns of one kind: Columns describes every column
// (Name included, usually first), Cells returns one cell per column.
// Columns with priority > 0 are shown by kubectl only with -o wide.
type Printer struct {
	Columns []TableColumn
	Cells   func(obj meta.Object, now time.Time) []any
}

// NameColumn is the Name column most tables start with.
func NameColumn() TableColumn { return nameColumn }

// AgeColumn is the Age column most tables end with.
func AgeColumn() TableColumn { return ageColumn }

// printers holds the per-kind printers (printers.go).
var printers = map[meta.GroupVersionKind]*Printer{}

var nameColumn = TableColumn{Name: "Name", Type: "string", Format: "name", Description: "Name must be unique within a namespace."}

var ageColumn = TableColumn{Name: "Age", Type: "string", Description: "CreationTimestamp is a timestamp representing the server time when this object was created."}

// tableFor renders entries as a Table for res.
func tableFor(r *http.Request, res *resource, entries []*storage.Entry, lm *meta.ListMeta) (*Table, error) {
	include := r.URL.Query().Get("includeObject")
	switch include {
	case "", "Metadata", "None", "Object":
	default:
		return nil, apierror.NewBadRequest(fmt.Sprintf("includeObject must be None, Metadata or Object (got %q)", include))
	}
	p := res.printer
	t := &Table{TypeMeta: meta.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"}, ListMeta: *lm, Rows: []TableRow{}}
	if p != nil {
		t.ColumnDefinitions = append(t.ColumnDefinitions, p.Columns...)
	} else {
		t.ColumnDefinitions = append(t.ColumnDefinitions, nameColumn, ageColumn)
	}
	now := time.Now()
	for _, e := range entries {
		obj, err := e.Peek()
		if err != nil {
			return nil, apierror.NewInternal(err)
		}
		m := obj.GetObjectMeta()
		var row TableRow
		if p != nil {
			row.Cells = p.Cells(obj, now)
		} else {
			row.Cells = []any{m.Name, Age(m.CreationTimestamp, now)}
		}
		switch include {
		case "Object":
			row.Object = e.JSON
		case "None":
		default:
			pm := struct {
				Kind       string          `json:"kind"`
				APIVersion string          `json:"apiVersion"`
				Metadata   meta.ObjectMeta `json:"metadata"`
			}{"PartialObjectMetadata", "meta.k8s.io/v1", *m}
			pm.Metadata.ManagedFields = nil
			data, err := json.Marshal(pm)
			if err != nil {
				return nil, apierror.NewInternal(err)
			}
			row.Object = data
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// Age renders the time since t as kubectl does ("5s", "3m", "2d4h", ...),
// or "<unknown>" for a zero time.
func Age(t meta.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return HumanDuration(now.Sub(t.Time))
}

// HumanDuration renders d in Kubernetes' short human form.
func HumanDuration(d time.Duration) string {
	if s := int(d.Seconds()); s < -1 {
		return "<invalid>"
	} else if s < 0 {
		return "0s"
	} else if s < 60*2 {
		return fmt.Sprintf("%ds", s)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		s := int(d/time.Second) % 60
		if s == 0 {
			return fmt.Sprintf("%dm", minutes)
		}
		return fmt.Sprintf("%dm%ds", minutes, s)
	} else if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	if hours < 8 {
		m := int(d/time.Minute) % 60
		if m == 0 {
			return fmt.Sprintf("%dh", hours)
		}
		return fmt.Sprintf("%dh%dm", hours, m)
	} else if hours < 48 {
		return fmt.Sprintf("%dh", hours)
	} else if hours < 24*8 {
		h := hours % 24
		if h == 0 {
			return fmt.Sprintf("%dd", hours/24)
		}
		return fmt.Sprintf("%dd%dh", hours/24, h)
	} else if hours < 24*365*2 {
		return fmt.Sprintf("%dd", hours/24)
	} else if hours < 24*365*8 {
		dy := int(hours/24) % 365
		if dy == 0 {
			return fmt.Sprintf("%dy", hours/24/365)
		}
		return fmt.Sprintf("%dy%dd", hours/24/365, dy)
	}
	return fmt.Sprintf("%dy", int(hours/24/365))
}
