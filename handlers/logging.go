package handlers

import (
	"context"
	"log/slog"
	"slices"
	"unicode/utf8"
)

// Log values are capped so that no client input can grow the log by more
// than a few KiB a line: maxLogValue bytes for every string (a message's
// attributes, nested groups included), maxLogStack for a panic's stack.
const (
	maxLogValue = 1 << 10
	maxLogStack = 16 << 10
	// maxLogPath caps the path of the request log line.
	maxLogPath = 256
)

// clipLog shortens s to at most n bytes on a rune boundary, marking the cut.
func clipLog(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[truncated]"
}

// clipAttr caps the string values of a, recursively through groups.
func clipAttr(a slog.Attr) (slog.Attr, bool) {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		limit := maxLogValue
		if a.Key == "stack" {
			limit = maxLogStack
		}
		if len(v.String()) > limit {
			return slog.String(a.Key, clipLog(v.String(), limit)), true
		}
	case slog.KindGroup:
		changed := false
		group := v.Group()
		out := make([]slog.Attr, len(group))
		for i, g := range group {
			var c bool
			out[i], c = clipAttr(g)
			changed = changed || c
		}
		if changed {
			return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}, true
		}
	case slog.KindAny:
		if err, ok := v.Any().(error); ok && len(err.Error()) > maxLogValue {
			return slog.String(a.Key, clipLog(err.Error(), maxLogValue)), true
		}
	}
	return a, false
}

type requestIDContextKey struct{}

// withRequestIDContext tags ctx so that every log line written with it
// carries the request id.
func withRequestIDContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDContextKey{}, id)
}

// contextHandler adds the request id from the context to each record.
type contextHandler struct{ slog.Handler }

// NewLogHandler wraps h so that records logged with a request's context
// carry its request_id.
func NewLogHandler(h slog.Handler) slog.Handler { return contextHandler{h} }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	long := len(r.Message) > maxLogValue
	r.Attrs(func(a slog.Attr) bool {
		_, c := clipAttr(a)
		long = long || c
		return !long
	})
	if long {
		clipped := slog.NewRecord(r.Time, r.Level, clipLog(r.Message, maxLogValue), r.PC)
		r.Attrs(func(a slog.Attr) bool {
			a, _ = clipAttr(a)
			clipped.AddAttrs(a)
			return true
		})
		r = clipped
	}
	if id, ok := ctx.Value(requestIDContextKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	attrs = slices.Clone(attrs)
	for i, a := range attrs {
		attrs[i], _ = clipAttr(a)
	}
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
