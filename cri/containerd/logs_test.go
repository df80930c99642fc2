package containerd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogFormat(t *testing.T) {
	long := strings.Repeat("x", maxLogLine+5)
	tests := []struct {
		name   string
		writes []string // to stdout, except entries starting with "2>"
		want   []string // "<stream> <tag> <text>"
	}{
		{"one line", []string{"hello\n"}, []string{"stdout F hello"}},
		{"split writes", []string{"hel", "lo\nwor", "ld\n"}, []string{"stdout F hello", "stdout F world"}},
		{"unterminated flushed at close", []string{"tail"}, []string{"stdout F tail"}},
		{"empty line", []string{"\n"}, []string{"stdout F "}},
		{"both streams", []string{"a\n", "2>b\n"}, []string{"stdout F a", "stderr F b"}},
		{"long line is partial", []string{long + "\n"}, []string{"stdout P " + long[:maxLogLine], "stdout F xxxxx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "c.log")
			l, err := openLog(path)
			if err != nil {
				t.Fatal(err)
			}
			l.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC) }
			out, errw := l.stream("stdout"), l.stream("stderr")
			for _, w := range tt.writes {
				if s, ok := strings.CutPrefix(w, "2>"); ok {
					errw.Write([]byte(s))
				} else {
					out.Write([]byte(w))
				}
			}
			out.Close()
			errw.Close()
			l.Close()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d lines %q, want %d", len(lines), lines, len(tt.want))
			}
			for i, line := range lines {
				ts, rest, _ := strings.Cut(line, " ")
				if ts != "2026-01-02T03:04:05.000000006Z" || rest != tt.want[i] {
					t.Errorf("line %d = %q, want time and %q", i, line, tt.want[i])
				}
			}
		})
	}
}

func TestLogReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	l, err := openLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w := l.stream("stdout")
	w.Write([]byte("before\n"))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("still old\n"))
	if err := l.reopen(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("after\n"))
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !strings.Contains(string(old), "before") || !strings.Contains(string(old), "still old") || strings.Contains(string(old), "after") {
		t.Fatalf("rotated file = %q", old)
	}
	if !strings.Contains(string(cur), "after") || strings.Contains(string(cur), "before") {
		t.Fatalf("new file = %q", cur)
	}
	// No path: output is discarded without error.
	d, err := openLog("")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.stream("stdout").Write([]byte("x\n")); n != 2 || err != nil {
		t.Fatalf("discarding write = %d, %v", n, err)
	}
}
