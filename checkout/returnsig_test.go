package checkout_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

const (
	secretA = "rsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	secretB = "rsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA"
	sidA    = "cs_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
)

func TestReturnSecretFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		s := checkout.NewReturnSecret()
		if len(s) != 48 || !strings.HasPrefix(s, "rsec_") || strings.ContainsAny(s, "+/=") || !checkout.ValidReturnSecret(s) {
			t.Fatalf("secret %q: want rsec_ and 43 URL-safe base64 characters", s)
		}
		if seen[s] {
			t.Fatalf("secret %q made twice", s)
		}
		seen[s] = true
	}
	for _, bad := range []string{"", "rsec_", secretA[:47], secretA + "A", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"rsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", "rsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB" /* trailing bits set */} {
		if checkout.ValidReturnSecret(bad) {
			t.Errorf("ValidReturnSecret(%q) = true", bad)
		}
	}
	if !checkout.ValidReturnSecret(secretA) || !checkout.ValidReturnSecret(secretB) {
		t.Fatal("the test secrets are not valid")
	}
}

// The signature is pinned to values computed with openssl, so that the
// message format cannot drift:
//
//	printf '%s' "1700000000.cs_aaaa….complete.paid" | openssl dgst -sha256 -hmac "$SECRET"
func TestReturnSignatureKnownAnswer(t *testing.T) {
	msg := checkout.ReturnMessage("1700000000", sidA, "complete", "paid")
	if msg != "1700000000."+sidA+".complete.paid" {
		t.Fatalf("message %q", msg)
	}
	const a = "v1=a9adf14b45d0bd425d9843fab5eabfa0d532eb3cb9fd0c7a3a6f64bbb067c9ec"
	const b = "v1=aae9617dc85986a95da6634043644bf6d20f88ac22f433d6db3b1510fab8c66b"
	if got := checkout.ReturnSignature(msg, secretA); got != a {
		t.Errorf("signature under A: %s, want %s", got, a)
	}
	if got := checkout.ReturnSignature(msg, secretB, secretA); got != b+","+a {
		t.Errorf("signature under B then A: %s, want %s", got, b+","+a)
	}
	v := checkout.ReturnValues(sidA, "complete", "paid", time.Unix(1700000000, 0), secretA)
	if v.Get("timestamp") != "1700000000" || v.Get("signature") != a || v.Get("session_id") != sidA ||
		v.Get("status") != "complete" || v.Get("payment_status") != "paid" || len(v) != 5 {
		t.Fatalf("values %v", v)
	}
}

func TestVerifyReturn(t *testing.T) {
	signedAt := time.Unix(1_800_000_000, 0)
	good := func() url.Values {
		v := checkout.ReturnValues(sidA, "complete", "paid", signedAt, secretA)
		v.Set("order", "42") // the merchant's own parameter is not signed and changes nothing
		return v
	}
	with := func(change func(url.Values)) url.Values {
		v := good()
		change(v)
		return v
	}
	flip := func(s string) string { // the last character, changed
		last := s[len(s)-1]
		if last == 'a' {
			return s[:len(s)-1] + "b"
		}
		return s[:len(s)-1] + "a"
	}
	for _, tt := range []struct {
		name   string
		secret string
		query  url.Values
		now    time.Time
		want   error
	}{
		{"genuine", secretA, good(), signedAt, nil},
		{"genuine, 10 minutes later", secretA, good(), signedAt.Add(10 * time.Minute), nil},
		{"genuine, checked a minute before it was signed (clock skew)", secretA, good(), signedAt.Add(-time.Minute), nil},
		{"stale: 10 minutes and 1 s later", secretA, good(), signedAt.Add(10*time.Minute + time.Second), checkout.ErrReturnStale},
		{"stale: a day later", secretA, good(), signedAt.Add(24 * time.Hour), checkout.ErrReturnStale},
		{"future: 61 s ahead of the clock", secretA, good(), signedAt.Add(-61 * time.Second), checkout.ErrReturnStale},
		{"tampered session_id", secretA, with(func(v url.Values) { v.Set("session_id", "cs_"+strings.Repeat("b", 32)) }), signedAt, checkout.ErrReturnSignature},
		{"tampered status", secretA, with(func(v url.Values) { v.Set("status", "open") }), signedAt, checkout.ErrReturnSignature},
		{"tampered payment_status", secretA, with(func(v url.Values) { v.Set("payment_status", "failed") }), signedAt, checkout.ErrReturnSignature},
		{"tampered timestamp (made fresher)", secretA, with(func(v url.Values) { v.Set("timestamp", "1800000300") }), signedAt.Add(5 * time.Minute), checkout.ErrReturnSignature},
		{"tampered signature", secretA, with(func(v url.Values) { v.Set("signature", flip(v.Get("signature"))) }), signedAt, checkout.ErrReturnSignature},
		{"signature in upper case", secretA, with(func(v url.Values) {
			v.Set("signature", "v1="+strings.ToUpper(strings.TrimPrefix(v.Get("signature"), "v1=")))
		}), signedAt, checkout.ErrReturnSignature},
		{"signature without its version", secretA, with(func(v url.Values) { v.Set("signature", strings.TrimPrefix(v.Get("signature"), "v1=")) }), signedAt, checkout.ErrReturnSignature},
		{"another merchant's secret", secretB, good(), signedAt, checkout.ErrReturnSignature},
		{"no secret", "", good(), signedAt, checkout.ErrReturnNoSecret},
		{"missing signature", secretA, with(func(v url.Values) { v.Del("signature") }), signedAt, checkout.ErrReturnMalformed},
		{"missing timestamp", secretA, with(func(v url.Values) { v.Del("timestamp") }), signedAt, checkout.ErrReturnMalformed},
		{"missing session_id", secretA, with(func(v url.Values) { v.Del("session_id") }), signedAt, checkout.ErrReturnMalformed},
		{"missing status", secretA, with(func(v url.Values) { v.Del("status") }), signedAt, checkout.ErrReturnMalformed},
		{"missing payment_status", secretA, with(func(v url.Values) { v.Del("payment_status") }), signedAt, checkout.ErrReturnMalformed},
		{"payment_status given twice", secretA, with(func(v url.Values) { v.Add("payment_status", "failed") }), signedAt, checkout.ErrReturnMalformed},
		{"timestamp with a sign", secretA, with(func(v url.Values) { v.Set("timestamp", "+1800000000") }), signedAt, checkout.ErrReturnMalformed},
		{"negative timestamp", secretA, with(func(v url.Values) { v.Set("timestamp", "-1") }), signedAt, checkout.ErrReturnMalformed},
		{"timestamp not a number", secretA, with(func(v url.Values) { v.Set("timestamp", "1.8e9") }), signedAt, checkout.ErrReturnMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkout.VerifyReturn(tt.secret, tt.query, tt.now)
			if tt.want == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// During a rotation's overlap the return carries both signatures, the new
// one first, and a verifier holding either secret accepts it; once the
// old secret has expired only the new one signs.
func TestReturnSignaturesDuringAndAfterRotation(t *testing.T) {
	rotatedAt := time.Unix(1_800_000_000, 0)
	m := &checkout.Merchant{ReturnSecret: secretB, PreviousReturnSecret: secretA, PreviousReturnSecretExpiresAt: rotatedAt.Add(time.Hour)}

	during := rotatedAt.Add(59 * time.Minute)
	secrets := m.ReturnSecrets(during)
	if len(secrets) != 2 || secrets[0] != secretB || secrets[1] != secretA {
		t.Fatalf("secrets during the overlap: %v, want new then old", secrets)
	}
	v := checkout.ReturnValues(sidA, "complete", "paid", during, secrets...)
	sigs := strings.Split(v.Get("signature"), ",")
	if len(sigs) != 2 || sigs[0] != checkout.ReturnSignature(checkout.ReturnMessage(v.Get("timestamp"), sidA, "complete", "paid"), secretB) {
		t.Fatalf("signature during the overlap: %q, want v1=<new>,v1=<old>", v.Get("signature"))
	}
	for name, secret := range map[string]string{"new": secretB, "old": secretA} {
		if err := checkout.VerifyReturn(secret, v, during); err != nil {
			t.Errorf("during the overlap, the %s secret refuses: %v", name, err)
		}
	}

	after := rotatedAt.Add(time.Hour)
	if secrets := m.ReturnSecrets(after); len(secrets) != 1 || secrets[0] != secretB {
		t.Fatalf("secrets after the overlap: %v, want the new one only", secrets)
	}
	v = checkout.ReturnValues(sidA, "complete", "paid", after, m.ReturnSecrets(after)...)
	if strings.Contains(v.Get("signature"), ",") {
		t.Fatalf("signature after the overlap: %q, want one", v.Get("signature"))
	}
	if err := checkout.VerifyReturn(secretB, v, after); err != nil {
		t.Errorf("after the overlap, the new secret refuses: %v", err)
	}
	if err := checkout.VerifyReturn(secretA, v, after); !errors.Is(err, checkout.ErrReturnSignature) {
		t.Errorf("after the overlap, the old secret: %v, want ErrReturnSignature", err)
	}
}

// ReturnURL sends the shopper to the success URL when the payment
// succeeded or was authorized and to the cancel URL otherwise, keeps the
// merchant's own query (ours win a clash), and signs what the merchant
// API shows. A merchant without a secret gets one on the way, once.
func TestServiceReturnURL(t *testing.T) {
	ctx := context.Background()
	svc, m, clk := MustService(t, &fakeProvider{})
	mk := func(success, cancel string) *checkout.Session {
		s, err := svc.CreateSession(ctx, m, checkout.CreateSessionParams{Amount: 1000, Currency: "USD", SuccessURL: success, CancelURL: cancel})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	pay := func(st checkout.PaymentStatus) []*checkout.Payment { return []*checkout.Payment{{Status: st}} }

	s := mk("https://shop.test/ok?order=42&status=mine&session%5Fid=evil&q=a%2Fb;c#done", "https://shop.test/cart?x=1")
	for _, tt := range []struct {
		pays          []*checkout.Payment
		dest, payment string
	}{
		{nil, "https://shop.test/cart", "unpaid"},
		{pay(checkout.PaymentSucceeded), "https://shop.test/ok", "paid"},
		{pay(checkout.PaymentAuthorized), "https://shop.test/ok", "authorized"},
		{pay(checkout.PaymentCaptured), "https://shop.test/ok", "paid"},
		{pay(checkout.PaymentFailed), "https://shop.test/cart", "failed"},
		{pay(checkout.PaymentPending), "https://shop.test/cart", "pending"},
	} {
		raw, err := svc.ReturnURL(ctx, s, tt.pays)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(raw)
		if dest := u.Scheme + "://" + u.Host + u.Path; dest != tt.dest {
			t.Errorf("%s: goes to %s, want %s", tt.payment, dest, tt.dest)
		}
		q := u.Query()
		if q.Get("payment_status") != tt.payment || q.Get("status") != "open" || q.Get("session_id") != s.ID ||
			q.Get("timestamp") != strconv.FormatInt(clk.Now().Unix(), 10) {
			t.Errorf("%s: query %v", tt.payment, q)
		}
		stored, _ := svc.Store.Merchant(ctx, m.ID)
		if err := checkout.VerifyReturn(stored.ReturnSecret, q, clk.Now()); err != nil {
			t.Errorf("%s: %s does not verify: %v", tt.payment, raw, err)
		}
		if tt.dest == "https://shop.test/ok" {
			// The merchant's parameters stay as written, ours follow; of
			// a clash (status, session%5Fid) only ours is left.
			if !strings.HasPrefix(u.RawQuery, "order=42&q=a%2Fb;c&session_id=") || len(q["status"]) != 1 || len(q["session_id"]) != 1 || u.Fragment != "done" {
				t.Errorf("merchant's query not kept: %s", raw)
			}
		} else if q.Get("x") != "1" {
			t.Errorf("the cancel URL's own parameter is lost: %s", raw)
		}
	}

	// Without a cancel URL every return goes to the success URL.
	if raw, _ := svc.ReturnURL(ctx, mk("https://shop.test/ok", ""), nil); !strings.HasPrefix(raw, "https://shop.test/ok?session_id=") {
		t.Errorf("no cancel URL: %s", raw)
	}

	// The merchant had no secret: it got one, and keeps it.
	stored, _ := svc.Store.Merchant(ctx, m.ID)
	if !checkout.ValidReturnSecret(stored.ReturnSecret) {
		t.Fatalf("the merchant's secret: %q", stored.ReturnSecret)
	}
	if again, _ := svc.EnsureReturnSecret(ctx, m); again.ReturnSecret != stored.ReturnSecret {
		t.Fatal("a second EnsureReturnSecret replaced the secret")
	}
}

// Rotation: the new secret signs, the old one next to it for the overlap
// asked (24 h by default, none with 0, at most 7 days); out of range is a
// 422 naming expire_previous_in and changes nothing; the merchant's event
// records it without a secret; of concurrent rotations from one secret one
// wins and the rest are conflicts.
func TestRotateReturnSecret(t *testing.T) {
	ctx := context.Background()
	svc, m, clk := MustService(t, &fakeProvider{})
	m, err := svc.EnsureReturnSecret(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	first := m.ReturnSecret
	for _, bad := range []int64{-1, 7*24*3600 + 1, 1 << 62} {
		if _, err := svc.RotateReturnSecret(ctx, m, &bad); !isInvalid(err, "expire_previous_in") {
			t.Fatalf("expire_previous_in %d: %v", bad, err)
		}
	}
	if got, _ := svc.Store.Merchant(ctx, m.ID); got.ReturnSecret != first {
		t.Fatal("a refused rotation changed the secret")
	}

	m, err = svc.RotateReturnSecret(ctx, m, nil)
	if err != nil || m.ReturnSecret == first || !checkout.ValidReturnSecret(m.ReturnSecret) || m.PreviousReturnSecret != first ||
		!m.PreviousReturnSecretExpiresAt.Equal(clk.Now().Add(24*time.Hour)) {
		t.Fatalf("rotation: %+v %v", m, err)
	}
	if o := checkout.NewReturnSecretObject(m); o.Object != "return_secret" || o.Secret != m.ReturnSecret || o.PreviousExpiresAt == nil || *o.PreviousExpiresAt != clk.Now().Add(24*time.Hour).Unix() {
		t.Fatalf("object: %+v", o)
	}
	events, err := svc.Store.MerchantEvents(ctx, m.ID, 10)
	if err != nil || len(events) != 1 || events[0].Type != checkout.EventReturnSecretRotated || events[0].SessionID != "" || events[0].MerchantID != m.ID ||
		events[0].Data["previous_expires_at"] != float64(clk.Now().Add(24*time.Hour).Unix()) {
		t.Fatalf("merchant events: %+v %v", events, err)
	}
	for k, v := range events[0].Data {
		if s, ok := v.(string); ok && strings.Contains(s, "rsec_") {
			t.Fatalf("the event carries a secret in %s", k)
		}
	}

	zero := int64(0)
	second := m.ReturnSecret
	if m, err = svc.RotateReturnSecret(ctx, m, &zero); err != nil || m.PreviousReturnSecret != second {
		t.Fatalf("rotation with 0: %+v %v", m, err)
	}
	if s := m.ReturnSecrets(clk.Now()); len(s) != 1 || s[0] != m.ReturnSecret {
		t.Fatalf("after a rotation with expire_previous_in 0: %d secrets sign", len(s))
	}

	// A rotation from a secret that is no longer current (another request
	// rotated first) is a conflict and writes nothing.
	stale := *m
	stale.ReturnSecret = second
	if _, err := svc.RotateReturnSecret(ctx, &stale, nil); !isCode(err, checkout.EConflict) {
		t.Fatalf("rotation from a stale secret: %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, conflicts := []string{}, 0
	for range 10 {
		wg.Go(func() {
			got, err := svc.RotateReturnSecret(ctx, m, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, got.ReturnSecret)
			case isCode(err, checkout.EConflict):
				conflicts++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(won) != 1 || conflicts != 9 {
		t.Fatalf("10 concurrent rotations: %d won, %d conflicts", len(won), conflicts)
	}
	if got, _ := svc.Store.Merchant(ctx, m.ID); got.ReturnSecret != won[0] || got.PreviousReturnSecret != m.ReturnSecret {
		t.Fatal("the stored secret is not the winner's, or the one it replaced is lost")
	}
	if events, _ := svc.Store.MerchantEvents(ctx, m.ID, 10); len(events) != 3 {
		t.Fatalf("%d rotation events, want 3 (refused rotations write none)", len(events))
	}
}

func isCode(err error, code checkout.ErrorCode) bool {
	var e *checkout.Error
	return errors.As(err, &e) && e.Code == code
}

func isInvalid(err error, param string) bool {
	var e *checkout.Error
	return errors.As(err, &e) && e.Code == checkout.EInvalid && e.Param == param
}

// FuzzVerifyReturn: whatever the values, a return signed now verifies
// under its secret (when every field is there), never under another, and
// never with a signature that is not the real one; nothing panics.
func FuzzVerifyReturn(f *testing.F) {
	f.Add(sidA, "complete", "paid", int64(1_800_000_000), "v1=00")
	f.Add("", "open", "unpaid", int64(-1), "")
	f.Add("cs_x.y", "a,b", "v1=", int64(1<<62), "v1=aa,v1=bb")
	f.Fuzz(func(t *testing.T, sid, status, paymentStatus string, ts int64, forged string) {
		at := time.Unix(ts, 0)
		q := checkout.ReturnValues(sid, status, paymentStatus, at, secretA)
		complete := sid != "" && status != "" && paymentStatus != "" && ts >= 0 &&
			len(sid) <= 512 && len(status) <= 512 && len(paymentStatus) <= 512
		if err := checkout.VerifyReturn(secretA, q, at); complete && err != nil {
			t.Fatalf("a genuine return is refused: %v (%v)", err, q)
		} else if !complete && err == nil {
			t.Fatalf("a return with an empty, overlong or negative field verifies: %v", q)
		}
		if checkout.VerifyReturn(secretB, q, at) == nil {
			t.Fatal("a return verifies under another secret")
		}
		real := q.Get("signature")
		q.Set("signature", forged)
		if !strings.Contains(forged, real) && checkout.VerifyReturn(secretA, q, at) == nil {
			t.Fatalf("a forged signature %q verifies", forged)
		}
	})
}
