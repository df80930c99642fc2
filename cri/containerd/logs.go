package containerd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// maxLogLine is the longest line written as one log entry; longer lines are
// split into partial ("P") entries, as containerd's CRI does.
const maxLogLine = 16 * 1024

// logFile is a container's log in the CRI format, shared by its stdout and
// stderr writers. Entries are whole lines written under one lock, so the
// two streams never interleave within a line.
type logFile struct {
	mu   sync.Mutex
	path string
	f    *os.File // nil when path is "" (no log requested) or closed
	now  func() time.Time
}

// openLog opens (creating) path for appending; path "" discards output.
func openLog(path string) (*logFile, error) {
	l := &logFile{path: path, now: time.Now}
	if path == "" {
		return l, nil
	}
	if err := l.reopen(); err != nil {
		return nil, err
	}
	return l, nil
}

// reopen closes the file and opens path again: after a rotation the writer
// continues in a new file at the same path.
func (l *logFile) reopen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return fmt.Errorf("log %s: %w", l.path, err)
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("log %s: %w", l.path, err)
	}
	if l.f != nil {
		l.f.Close()
	}
	l.f = f
	return nil
}

// Close closes the file; later writes are dropped.
func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// entry writes one "<time> <stream> <F|P> <text>\n" line.
func (l *logFile) entry(stream string, partial bool, text []byte) {
	tag := "F"
	if partial {
		tag = "P"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	var b bytes.Buffer
	b.Grow(len(text) + 48)
	b.WriteString(l.now().UTC().Format(time.RFC3339Nano))
	b.WriteByte(' ')
	b.WriteString(stream)
	b.WriteByte(' ')
	b.WriteString(tag)
	b.WriteByte(' ')
	b.Write(text)
	b.WriteByte('\n')
	// A failed write (disk full) must not block the container: drop it.
	l.f.Write(b.Bytes())
}

// stream returns the writer for one stream ("stdout" or "stderr"). Each
// writer must be used by one goroutine at a time; call Close at EOF to
// flush an unterminated last line.
func (l *logFile) stream(name string) io.WriteCloser {
	return &streamWriter{log: l, name: name}
}

type streamWriter struct {
	log  *logFile
	name string
	buf  []byte
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := w.buf[:i]
		for len(line) > maxLogLine {
			w.log.entry(w.name, true, line[:maxLogLine])
			line = line[maxLogLine:]
		}
		w.log.entry(w.name, false, line)
		w.buf = w.buf[i+1:]
	}
	for len(w.buf) >= maxLogLine {
		w.log.entry(w.name, true, w.buf[:maxLogLine])
		w.buf = w.buf[maxLogLine:]
	}
	if len(w.buf) == 0 {
		w.buf = nil // let the backing array go
	}
	return len(p), nil
}

// Close writes an unterminated last line as a full entry.
func (w *streamWriter) Close() error {
	if len(w.buf) > 0 {
		w.log.entry(w.name, false, w.buf)
		w.buf = nil
	}
	return nil
}
