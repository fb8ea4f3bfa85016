package web

import (
	"context"
	"log/slog"
)

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
	if id, ok := ctx.Value(requestIDContextKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
