package raft

import (
	"context"
	"io"
	"log"
	"log/slog"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter lets hashicorp/raft, which logs through hclog, write to the
// caller's slog.Logger.
type hclogAdapter struct {
	l     *slog.Logger
	name  string
	args  []interface{}
	level hclog.Level
}

var _ hclog.Logger = (*hclogAdapter)(nil)

func newHCLog(l *slog.Logger, name string) *hclogAdapter {
	return &hclogAdapter{l: l, name: name, level: hclog.Info}
}

func slogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace, hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (a *hclogAdapter) Log(level hclog.Level, msg string, args ...interface{}) {
	if level < a.level {
		return
	}
	lv := slogLevel(level)
	if !a.l.Enabled(context.Background(), lv) {
		return
	}
	all := make([]interface{}, 0, len(a.args)+len(args)+2)
	if a.name != "" {
		all = append(all, "component", a.name)
	}
	all = append(all, a.args...)
	all = append(all, args...)
	a.l.Log(context.Background(), lv, msg, all...)
}

func (a *hclogAdapter) Trace(msg string, args ...interface{}) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogAdapter) Debug(msg string, args ...interface{}) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogAdapter) Info(msg string, args ...interface{})  { a.Log(hclog.Info, msg, args...) }
func (a *hclogAdapter) Warn(msg string, args ...interface{})  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogAdapter) Error(msg string, args ...interface{}) { a.Log(hclog.Error, msg, args...) }
func (a *hclogAdapter) IsTrace() bool                         { return a.level <= hclog.Trace }
func (a *hclogAdapter) IsDebug() bool                         { return a.level <= hclog.Debug }
func (a *hclogAdapter) IsInfo() bool                          { return a.level <= hclog.Info }
func (a *hclogAdapter) IsWarn() bool                          { return a.level <= hclog.Warn }
func (a *hclogAdapter) IsError() bool                         { return a.level <= hclog.Error }
func (a *hclogAdapter) ImpliedArgs() []interface{}            { return a.args }
func (a *hclogAdapter) Name() string                          { return a.name }
func (a *hclogAdapter) SetLevel(level hclog.Level)            { a.level = level }
func (a *hclogAdapter) GetLevel() hclog.Level                 { return a.level }

func (a *hclogAdapter) With(args ...interface{}) hclog.Logger {
	c := *a
	c.args = append(append([]interface{}(nil), a.args...), args...)
	return &c
}

func (a *hclogAdapter) Named(name string) hclog.Logger {
	c := *a
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	return &c
}

func (a *hclogAdapter) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(nil), "", 0)
}

func (a *hclogAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		a.Info(strings.TrimSpace(string(p)))
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
