package checkout

import "context"

// Actor is the person behind a change made in the dashboard: the
// dashboard user whose click it was. Changes made through the merchant
// API (a key, not a person) or by the server itself carry none.
type Actor struct {
	UserID string
	Email  string
}

type actorKey struct{}

// WithActor is ctx carrying the dashboard user making a change: the events
// the change writes (the refund asked for, the capture or cancel call)
// record them, and the session's timeline shows them.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// actorData adds ctx's actor, if any, to an event's data.
func actorData(ctx context.Context, data map[string]any) map[string]any {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok && a.UserID != "" {
		data["actor"] = map[string]any{"type": "dashboard_user", "id": a.UserID, "email": a.Email}
	}
	return data
}

// TimelineActor is who took a step: a dashboard user (a refund or a
// capture made in the dashboard); null for the merchant API and the
// server's own steps.
type TimelineActor struct {
	Type  string `json:"type"` // dashboard_user
	ID    string `json:"id"`
	Email string `json:"email"`
}

// actor reads the actor an event recorded.
func (d eventData) actor() *TimelineActor {
	m, ok := d["actor"].(map[string]any)
	if !ok {
		return nil
	}
	a := &TimelineActor{Type: "dashboard_user"}
	a.ID, _ = m["id"].(string)
	a.Email, _ = m["email"].(string)
	if a.ID == "" {
		return nil
	}
	return a
}
