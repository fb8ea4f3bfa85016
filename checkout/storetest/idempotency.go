package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// raceBegin runs BeginIdempotent with rec twenty times at once and returns
// how many calls got to own the key and the records the others got.
func raceBegin(t *testing.T, db checkout.Store, rec checkout.IdempotencyRecord) (int, []*checkout.IdempotencyRecord) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	owners := 0
	var others []*checkout.IdempotencyRecord
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := db.BeginIdempotent(context.Background(), rec)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Error(err)
			case got == nil:
				owners++
			default:
				others = append(others, got)
			}
		}()
	}
	wg.Wait()
	return owners, others
}

// An Idempotency-Key is owned by one request at a time: of twenty
// concurrent first requests exactly one owns it and the others get the
// record in progress (the API answers 409, key in use); a request with
// another body gets the record too, even once the lease ran out (the API
// answers idempotency_error); once the lease ran out, exactly one of twenty
// concurrent retries of the same request takes the key over (its first run
// died). A stored answer is replayed ever after: not taken over, not
// released. A released claim (the request was refused as invalid) is
// claimed afresh. Keys are per merchant. PruneIdempotent removes the
// records created before the cut-off, whatever their state, and only those.
func idempotencyLeases(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	rec := checkout.IdempotencyRecord{MerchantID: m.ID, Key: "create-42", RequestHash: "h1", LockedUntil: now.Add(time.Minute), CreatedAt: now}

	owners, others := raceBegin(t, db, rec)
	if owners != 1 || len(others) != 19 {
		t.Fatalf("%d of 20 concurrent first requests own the key, want 1", owners)
	}
	for _, r := range others {
		if r.Done() || r.RequestHash != "h1" || r.MerchantID != m.ID || r.Key != "create-42" || !r.LockedUntil.Equal(now.Add(time.Minute)) {
			t.Fatalf("record in progress: %+v", r)
		}
	}

	// Another body, after the lease: still the first request's record.
	otherBody := rec
	otherBody.RequestHash, otherBody.CreatedAt, otherBody.LockedUntil = "h2", now.Add(5*time.Minute), now.Add(6*time.Minute)
	if got, err := db.BeginIdempotent(ctx, otherBody); err != nil || got == nil || got.RequestHash != "h1" {
		t.Fatalf("another request under the key after its lease: %+v %v, want the first request's record", got, err)
	}

	// The same request after the lease: one retry takes it over.
	retry := rec
	retry.CreatedAt, retry.LockedUntil = now.Add(2*time.Minute), now.Add(3*time.Minute)
	if owners, _ := raceBegin(t, db, retry); owners != 1 {
		t.Fatalf("%d of 20 concurrent retries after the lease took the key over, want 1", owners)
	}

	if err := db.CompleteIdempotent(ctx, m.ID, "create-42", "", 201, []byte(`{"id":"cs_1"}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseIdempotent(ctx, m.ID, "create-42", ""); err != nil {
		t.Fatal(err)
	}
	much := rec
	much.CreatedAt, much.LockedUntil = now.Add(time.Hour), now.Add(time.Hour+time.Minute)
	if got, err := db.BeginIdempotent(ctx, much); err != nil || got == nil || got.Status != 201 || string(got.Body) != `{"id":"cs_1"}` {
		t.Fatalf("the stored answer an hour later, after a release: %+v %v", got, err)
	}

	// Per merchant.
	other := mustMerchant(t, db)
	theirs := rec
	theirs.MerchantID = other.ID
	if got, err := db.BeginIdempotent(ctx, theirs); err != nil || got != nil {
		t.Fatalf("another merchant's first request under the key: %+v %v, want to own it", got, err)
	}

	// Released claims are forgotten.
	invalid := rec
	invalid.Key = "bad-request"
	if got, _ := db.BeginIdempotent(ctx, invalid); got != nil {
		t.Fatalf("first claim: %+v", got)
	}
	if err := db.ReleaseIdempotent(ctx, m.ID, "bad-request", ""); err != nil {
		t.Fatal(err)
	}
	fixed := invalid
	fixed.RequestHash = "h3"
	if got, err := db.BeginIdempotent(ctx, fixed); err != nil || got != nil {
		t.Fatalf("the corrected request after a release: %+v %v, want to own the key", got, err)
	}

	// Pruning: two old records go (one answered, one in progress), the
	// rest stay.
	for i, age := range []time.Duration{2 * time.Hour, time.Hour} {
		old := checkout.IdempotencyRecord{MerchantID: m.ID, Key: "old-" + string(rune('a'+i)), RequestHash: "h", CreatedAt: now.Add(-age), LockedUntil: now.Add(-age + time.Minute)}
		if got, _ := db.BeginIdempotent(ctx, old); got != nil {
			t.Fatalf("claim of %s: %+v", old.Key, got)
		}
	}
	if err := db.CompleteIdempotent(ctx, m.ID, "old-a", "", 200, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneIdempotent(ctx, now.Add(-30*time.Minute)); err != nil || n != 2 {
		t.Fatalf("pruned %d (%v), want the 2 records older than the cut-off", n, err)
	}
	if got, _ := db.BeginIdempotent(ctx, checkout.IdempotencyRecord{MerchantID: m.ID, Key: "old-a", RequestHash: "h", CreatedAt: now, LockedUntil: now.Add(time.Minute)}); got != nil {
		t.Fatalf("a pruned key is still remembered: %+v", got)
	}
	if got, _ := db.BeginIdempotent(ctx, much); got == nil || got.Status != 201 {
		t.Fatalf("pruning removed a record newer than the cut-off: %+v", got)
	}
	if got, _ := db.BeginIdempotent(ctx, theirs); got == nil {
		t.Fatal("pruning removed another merchant's new record")
	}
}

// A session's Idempotency-Key is unique per merchant: a second session
// under it is ErrDuplicate with its events not written, even when twenty
// requests race, and SessionByIdempotencyKey finds the one that won; a
// create-session (or recurring charge) request retried after a lost answer
// gets that session instead of a second one. Another merchant may use the
// same key; sessions without a key never collide, and the empty key finds
// nothing.
func sessionsByIdempotencyKey(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	won, duplicates := race(t, 20, checkout.ErrDuplicate, func() (string, error) {
		s := newSession(m)
		s.IdempotencyKey = "order-42"
		return s.ID, db.CreateSession(ctx, s, newEvent(s, checkout.EventSessionCreated, ""))
	})
	if len(won) != 1 || duplicates != 19 {
		t.Fatalf("%d sessions made under one key, %d duplicates; want 1 and 19", len(won), duplicates)
	}
	s, err := db.SessionByIdempotencyKey(ctx, m.ID, "order-42")
	if err != nil || s.ID != won[0] || s.IdempotencyKey != "order-42" || s.Amount.Amount != 1999 || s.Metadata["order"] != "42" {
		t.Fatalf("session by key: %+v %v, want %s", s, err, won[0])
	}
	loser := newSession(m)
	loser.IdempotencyKey = "order-42"
	if err := db.CreateSession(ctx, loser, newEvent(loser, checkout.EventSessionCreated, "")); !errors.Is(err, checkout.ErrDuplicate) {
		t.Fatalf("a second session under the key: %v, want ErrDuplicate", err)
	}
	if _, err := db.Session(ctx, loser.ID); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("the refused session was stored: %v", err)
	}
	if got := timeline(t, db, loser.ID); len(got) != 0 {
		t.Fatalf("the refused session wrote %d events", len(got))
	}
	if _, err := db.SessionByIdempotencyKey(ctx, m.ID, "order-43"); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("session by an unused key: %v, want ErrNotFound", err)
	}

	other := mustMerchant(t, db)
	theirs := newSession(other)
	theirs.IdempotencyKey = "order-42"
	mustCreateSession(t, db, theirs)
	if got, err := db.SessionByIdempotencyKey(ctx, other.ID, "order-42"); err != nil || got.ID != theirs.ID {
		t.Fatalf("the other merchant's session by key: %v %v", got, err)
	}
	if got, err := db.SessionByIdempotencyKey(ctx, m.ID, "order-42"); err != nil || got.ID != won[0] {
		t.Fatalf("session by key after another merchant used it: %v %v", got, err)
	}

	mustCreateSession(t, db, newSession(m))
	mustCreateSession(t, db, newSession(m))
	if _, err := db.SessionByIdempotencyKey(ctx, m.ID, ""); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("session by the empty key: %v, want ErrNotFound", err)
	}
}

// idempotencyTakeoverFencesTheFirstOwner: a request whose lease ran out
// and was taken over by its retry can neither store its answer over the
// retry's nor release the retry's claim; the retry's answer is kept.
func idempotencyTakeoverFencesTheFirstOwner(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m, _ := MustSession(t, db)
	first := checkout.IdempotencyRecord{MerchantID: m.ID, Key: "k", RequestHash: "h", Owner: "first", LockedUntil: now.Add(time.Minute), CreatedAt: now}
	if got, err := db.BeginIdempotent(ctx, first); err != nil || got != nil {
		t.Fatalf("first claim: %+v %v", got, err)
	}
	retry := first
	retry.Owner, retry.CreatedAt, retry.LockedUntil = "retry", now.Add(2*time.Minute), now.Add(3*time.Minute)
	if got, err := db.BeginIdempotent(ctx, retry); err != nil || got != nil {
		t.Fatalf("the retry after the lease: %+v %v, want to own the key", got, err)
	}
	if err := db.ReleaseIdempotent(ctx, m.ID, "k", "first"); err != nil {
		t.Fatal(err)
	}
	if err := db.CompleteIdempotent(ctx, m.ID, "k", "first", 500, []byte(`{"late":true}`)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("the first owner's late answer: %v, want ErrConflict", err)
	}
	if err := db.CompleteIdempotent(ctx, m.ID, "k", "retry", 201, []byte(`{"id":"cs_retry"}`)); err != nil {
		t.Fatalf("the retry's answer: %v", err)
	}
	again := retry
	again.Owner, again.CreatedAt = "again", now.Add(4*time.Minute)
	if got, err := db.BeginIdempotent(ctx, again); err != nil || got == nil || got.Status != 201 || string(got.Body) != `{"id":"cs_retry"}` {
		t.Fatalf("the kept answer: %+v %v, want the retry's", got, err)
	}
	if err := db.CompleteIdempotent(ctx, m.ID, "k", "retry", 200, []byte(`{}`)); !errors.Is(err, checkout.ErrConflict) {
		t.Fatalf("completing an answered key again: %v, want ErrConflict", err)
	}
}

// errAnswered marks a CreateSessionAnswered call that got an earlier
// record instead of writing.
var errAnswered = errors.New("answered before")

// A session created with its request's answer (CreateSessionAnswered) is
// written with that answer in one transaction: of twenty concurrent
// requests under one key exactly one writes its session, its event and its
// record, and every other gets that record back with nothing of its own
// written. A record under the key from any request (another endpoint's, a
// claim in progress) stops the write the same way. A session that holds
// the key without a record is ErrDuplicate, nothing written. Keys are per
// merchant, and IdempotencyRecord reads what was stored.
func sessionAnswerIsStoredWithTheSession(t *testing.T, db checkout.Store) {
	ctx := context.Background()
	m := mustMerchant(t, db)
	answer := func(key, hash, body string) checkout.IdempotencyRecord {
		return checkout.IdempotencyRecord{MerchantID: m.ID, Key: key, RequestHash: hash, Status: 201, Body: []byte(body), CreatedAt: now}
	}
	var mu sync.Mutex
	var refusedIDs []string
	var got []*checkout.IdempotencyRecord
	won, answered := race(t, 20, errAnswered, func() (string, error) {
		s := newSession(m)
		s.IdempotencyKey = "order-7"
		rec, err := db.CreateSessionAnswered(ctx, s, answer("order-7", "h1", `{"id":"`+s.ID+`"}`), newEvent(s, checkout.EventSessionCreated, ""))
		if err == nil && rec != nil {
			mu.Lock()
			refusedIDs, got = append(refusedIDs, s.ID), append(got, rec)
			mu.Unlock()
			return "", errAnswered
		}
		return s.ID, err
	})
	if len(won) != 1 || answered != 19 {
		t.Fatalf("%d sessions written under one key, %d answered with the record; want 1 and 19", len(won), answered)
	}
	want := `{"id":"` + won[0] + `"}`
	for _, r := range got {
		if string(r.Body) != want || r.Status != 201 || r.RequestHash != "h1" || !r.Done() {
			t.Fatalf("a concurrent request got %+v, want the winner's answer %s", r, want)
		}
	}
	for _, id := range refusedIDs {
		if _, err := db.Session(ctx, id); !errors.Is(err, checkout.ErrNotFound) {
			t.Fatalf("a request answered with the record wrote its session %s: %v", id, err)
		}
		if n := len(timeline(t, db, id)); n != 0 {
			t.Fatalf("a request answered with the record wrote %d events", n)
		}
	}
	if n := len(timeline(t, db, won[0])); n != 1 {
		t.Fatalf("the session has %d events, want its session.created", n)
	}
	if r, err := db.IdempotencyRecord(ctx, m.ID, "order-7"); err != nil || r == nil || string(r.Body) != want || r.Status != 201 {
		t.Fatalf("the stored record: %+v %v", r, err)
	}
	if r, err := db.IdempotencyRecord(ctx, m.ID, "order-8"); err != nil || r != nil {
		t.Fatalf("the record of an unused key: %+v %v, want none", r, err)
	}

	// A claim of another request (the two-step Idempotency-Key) stops it.
	if r, err := db.BeginIdempotent(ctx, checkout.IdempotencyRecord{MerchantID: m.ID, Key: "refund-1", RequestHash: "h9",
		Owner: "o", LockedUntil: now.Add(time.Minute), CreatedAt: now}); err != nil || r != nil {
		t.Fatalf("claim: %+v %v", r, err)
	}
	s := newSession(m)
	s.IdempotencyKey = "refund-1"
	if r, err := db.CreateSessionAnswered(ctx, s, answer("refund-1", "h1", "{}"), newEvent(s, checkout.EventSessionCreated, "")); err != nil ||
		r == nil || r.Done() || r.RequestHash != "h9" {
		t.Fatalf("under another request's claim: %+v %v, want that claim", r, err)
	}
	if _, err := db.Session(ctx, s.ID); !errors.Is(err, checkout.ErrNotFound) {
		t.Fatalf("the session was written under another request's claim: %v", err)
	}

	// A session holding the key without a record.
	old := newSession(m)
	old.IdempotencyKey = "order-9"
	mustCreateSession(t, db, old)
	s = newSession(m)
	s.IdempotencyKey = "order-9"
	if r, err := db.CreateSessionAnswered(ctx, s, answer("order-9", "h1", "{}"), newEvent(s, checkout.EventSessionCreated, "")); !errors.Is(err, checkout.ErrDuplicate) || r != nil {
		t.Fatalf("a key a session holds without a record: %+v %v, want ErrDuplicate", r, err)
	}
	if r, err := db.IdempotencyRecord(ctx, m.ID, "order-9"); err != nil || r != nil {
		t.Fatalf("the refused request wrote a record: %+v %v", r, err)
	}
	if n := len(timeline(t, db, s.ID)); n != 0 {
		t.Fatalf("the refused request wrote %d events", n)
	}

	// Another merchant's key of the same name is theirs.
	other := mustMerchant(t, db)
	theirs := newSession(other)
	theirs.IdempotencyKey = "order-7"
	rec := answer("order-7", "h2", "{}")
	rec.MerchantID = other.ID
	if r, err := db.CreateSessionAnswered(ctx, theirs, rec, newEvent(theirs, checkout.EventSessionCreated, "")); err != nil || r != nil {
		t.Fatalf("another merchant's key: %+v %v", r, err)
	}
}
