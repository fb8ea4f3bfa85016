package checkout

import (
	"context"
	"time"
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

// BeginIdempotent claims an Idempotency-Key for a merchant request whose
// method, path and body digest is requestHash. It returns (nil, nil) when the
// caller should run the request, the stored answer to replay, or an error:
// EIdempotencyMismatch for the same key with a different request,
// EIdempotencyInUse while the first request is still running.
func (s *Service) BeginIdempotent(ctx context.Context, merchantID, key, requestHash string) (*IdempotencyRecord, error) {
	if len(key) > MaxIdempotencyKeyLength {
		return nil, &Error{Code: EMalformed, Param: "Idempotency-Key", Message: "Idempotency-Key must be at most 255 characters."}
	}
	for _, r := range key {
		if r < 0x21 || r > 0x7e {
			return nil, &Error{Code: EMalformed, Param: "Idempotency-Key", Message: "Idempotency-Key must be printable ASCII without spaces."}
		}
	}
	now := s.now()
	rec, err := s.Store.BeginIdempotent(ctx, IdempotencyRecord{
		MerchantID: merchantID, Key: key, RequestHash: requestHash, LockedUntil: now.Add(s.idempotencyLease()), CreatedAt: now,
	})
	switch {
	case err != nil:
		return nil, Internal(err)
	case rec == nil:
		return nil, nil
	case rec.RequestHash != requestHash:
		return nil, &Error{Code: EIdempotencyMismatch, Param: "Idempotency-Key", Message: "This Idempotency-Key was already used with a different request."}
	case !rec.Done():
		return nil, &Error{Code: EIdempotencyInUse, Param: "Idempotency-Key", Message: "A request with this Idempotency-Key is still being processed; retry shortly."}
	}
	return rec, nil
}

// CompleteIdempotent stores the answer to replay for the key.
func (s *Service) CompleteIdempotent(ctx context.Context, merchantID, key string, status int, body []byte) error {
	return s.Store.CompleteIdempotent(ctx, merchantID, key, status, body)
}

// ReleaseIdempotent forgets a key whose request was refused as invalid, so
// the merchant can fix the request and retry with the same key.
func (s *Service) ReleaseIdempotent(ctx context.Context, merchantID, key string) error {
	return s.Store.ReleaseIdempotent(ctx, merchantID, key)
}

// PruneIdempotent forgets keys older than IdempotencyKeyTTL.
func (s *Service) PruneIdempotent(ctx context.Context) (int64, error) {
	return s.Store.PruneIdempotent(ctx, s.now().Add(-IdempotencyKeyTTL))
}

func (s *Service) idempotencyLease() time.Duration {
	if s.IdempotencyLease > 0 {
		return s.IdempotencyLease
	}
	return DefaultIdempotencyLease
}
