package handlers

import (
	"context"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Idempotency limits for the merchant API.
const (
	MaxIdempotencyKeyLength = 255
	IdempotencyKeyTTL       = 24 * time.Hour
	// DefaultIdempotencyLease is how long a request holds its key: a retry
	// meanwhile is 409 idempotency_key_in_use; after it (the first request's
	// process died) the retry takes the key over.
	DefaultIdempotencyLease = time.Minute
)

// Idempotency is the HTTP side of the merchant API's Idempotency-Key: the
// answers (status and body) the Idempotent middleware records and replays,
// kept in the store's idempotency records under a lease.
type Idempotency struct {
	Store checkout.Store
	Now   func() time.Time
	// Lease is how long a request holds its key; DefaultIdempotencyLease
	// when zero.
	Lease time.Duration
}

// Begin claims an Idempotency-Key for a merchant request whose method,
// path and body digest is requestHash. It returns the claim (pass it to
// Complete or Release) and a nil record when the caller should run the
// request, the stored answer to replay, or an error:
// EIdempotencyMismatch for the same key with a different request,
// EIdempotencyInUse while the first request is still running.
func (i *Idempotency) Begin(ctx context.Context, merchantID, key, requestHash string) (claim string, _ *checkout.IdempotencyRecord, _ error) {
	if err := validIdempotencyKey(key); err != nil {
		return "", nil, err
	}
	now := i.Now().UTC()
	lease := i.Lease
	if lease <= 0 {
		lease = DefaultIdempotencyLease
	}
	claim = checkout.RandomToken(16)
	rec, err := i.Store.BeginIdempotent(ctx, checkout.IdempotencyRecord{
		MerchantID: merchantID, Key: key, RequestHash: requestHash, Owner: claim, LockedUntil: now.Add(lease), CreatedAt: now,
	})
	switch {
	case err != nil:
		return "", nil, checkout.Internal(err)
	case rec == nil:
		return claim, nil, nil
	}
	if err := rec.Replayable(requestHash); err != nil {
		return "", nil, err
	}
	return "", rec, nil
}

// Complete stores the answer to replay for the key, while claim still
// holds it (checkout.ErrConflict once another request took it over).
func (i *Idempotency) Complete(ctx context.Context, merchantID, key, claim string, status int, body []byte) error {
	return i.Store.CompleteIdempotent(ctx, merchantID, key, claim, status, body)
}

// Release forgets a key whose request was refused as invalid, so the
// merchant can fix the request and retry with the same key.
func (i *Idempotency) Release(ctx context.Context, merchantID, key, claim string) error {
	return i.Store.ReleaseIdempotent(ctx, merchantID, key, claim)
}

// Prune forgets keys older than IdempotencyKeyTTL.
func (i *Idempotency) Prune(ctx context.Context) (int64, error) {
	return i.Store.PruneIdempotent(ctx, i.Now().UTC().Add(-IdempotencyKeyTTL))
}

// validIdempotencyKey refuses a key too long or not printable ASCII.
func validIdempotencyKey(key string) error {
	if len(key) > MaxIdempotencyKeyLength {
		return &checkout.Error{Code: checkout.EMalformed, Param: "Idempotency-Key", Message: "Idempotency-Key must be at most 255 characters."}
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return &checkout.Error{Code: checkout.EMalformed, Param: "Idempotency-Key", Message: "Idempotency-Key must be printable ASCII without spaces."}
		}
	}
	return nil
}
