package checkout

import (
	"context"
	"errors"
	"maps"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Merchant settings over the API (GET and PATCH /v1/merchant) and secret
// key rotation with an overlap (POST /v1/merchant/keys/rotate). The
// `checkout merchants` commands use the same functions.

// Merchant webhook event types of the merchant itself (no session).
const (
	WebhookMerchantUpdated    = "merchant.updated"
	WebhookMerchantKeyRotated = "merchant.key_rotated"
)

// Timeline event types of the merchant itself.
const (
	EventMerchantUpdated    EventType = "merchant.updated"
	EventMerchantKeyRotated EventType = "merchant.key_rotated"
)

// Settings limits.
const (
	// MaxMerchantOrigins bounds return_origins and embed_origins each: a
	// frame-ancestors header and an allowlist stay small.
	MaxMerchantOrigins = 20
	// MaxSupportEmailLen is the longest address mail can carry (RFC 5321).
	MaxSupportEmailLen = 254
)

// MerchantChanges are the settings a merchant changes: a nil field stays
// as it is. The strings are as given; UpdateMerchant checks them all.
type MerchantChanges struct {
	DisplayName *string // "" shows the merchant's name again
	AccentColor *string // "#rrggbb"; "" is the checkout's own accent
	// Logo is the new logo's file (ParseLogo); empty removes the logo.
	// LogoParam names the parameter it came in (logo or logo_base64) in
	// a refusal; logo when empty.
	Logo            *[]byte
	LogoParam       string
	ReturnOrigins   *[]string // at least one
	EmbedOrigins    *[]string // empty: no site may frame the checkout
	DefaultProvider *string   // one this server runs (Service.Providers)
	SupportEmail    *string   // "" for none
	SupportURL      *string   // "" for none
}

// UpdateMerchant checks every change first (a refusal is an EInvalid
// naming its parameter, and nothing is written), then saves the merchant
// with one merchant.updated event naming the fields that changed, in one
// store call guarded by the version m was loaded with (EConflict when it
// changed meanwhile: retry). It returns the merchant as saved and the
// changed fields; a change that changes nothing writes nothing.
func (s *Service) UpdateMerchant(ctx context.Context, m *Merchant, ch MerchantChanges) (*Merchant, []string, error) {
	next := *m
	var changed []string
	set := func(field string, differs bool) {
		if differs {
			changed = append(changed, field)
		}
	}
	if ch.DisplayName != nil {
		name, err := ParseDisplayName(*ch.DisplayName)
		if err != nil {
			return nil, nil, err
		}
		set("display_name", name != m.DisplayName)
		next.DisplayName = name
	}
	if ch.AccentColor != nil {
		color := ""
		if strings.TrimSpace(*ch.AccentColor) != "" {
			c, err := ParseBrandColor(*ch.AccentColor)
			if err != nil {
				return nil, nil, renameParam(err, "accent_color")
			}
			color = c
		}
		set("branding.accent_color", color != m.BrandColor)
		next.BrandColor = color
	}
	if ch.Logo != nil {
		next.Logo = nil
		if len(*ch.Logo) > 0 {
			l, err := ParseLogo(*ch.Logo)
			if err != nil {
				if ch.LogoParam != "" {
					err = renameParam(err, ch.LogoParam)
				}
				return nil, nil, err
			}
			next.Logo = l
		}
		set("branding.logo", logoHash(next.Logo) != logoHash(m.Logo))
	}
	httpsOnly := m.Live || !s.Sandbox
	if ch.ReturnOrigins != nil {
		origins, err := ParseOrigins("return_origins", *ch.ReturnOrigins, httpsOnly)
		if err != nil {
			return nil, nil, err
		}
		if len(origins) == 0 {
			return nil, nil, InvalidParam("return_origins", "return_origins needs at least one origin: shoppers are sent back only to these")
		}
		set("return_origins", !slices.Equal(origins, m.ReturnOrigins))
		next.ReturnOrigins = origins
	}
	if ch.EmbedOrigins != nil {
		origins, err := ParseOrigins("embed_origins", *ch.EmbedOrigins, httpsOnly)
		if err != nil {
			return nil, nil, err
		}
		set("embed_origins", !slices.Equal(origins, m.EmbedOrigins))
		next.EmbedOrigins = origins
	}
	if ch.DefaultProvider != nil {
		name := *ch.DefaultProvider
		if _, ok := s.Providers[name]; !ok {
			return nil, nil, InvalidParam("default_provider", "default_provider %q is not a provider this server runs; it runs %s",
				name, strings.Join(slices.Sorted(maps.Keys(s.Providers)), ", "))
		}
		set("default_provider", name != m.DefaultProvider)
		next.DefaultProvider = name
	}
	if ch.SupportEmail != nil {
		email, err := ParseSupportEmail(*ch.SupportEmail)
		if err != nil {
			return nil, nil, err
		}
		set("support_email", email != m.SupportEmail)
		next.SupportEmail = email
	}
	if ch.SupportURL != nil {
		u, err := ParseSupportURL(*ch.SupportURL, !httpsOnly)
		if err != nil {
			return nil, nil, err
		}
		set("support_url", u != m.SupportURL)
		next.SupportURL = u
	}
	if len(changed) == 0 {
		return m, nil, nil
	}
	e := Event{ID: s.IDs.NewID(PrefixEvent), MerchantID: m.ID, Type: EventMerchantUpdated, CreatedAt: s.now(),
		Data: actorData(ctx, map[string]any{"changed": changed}), Notify: WebhookMerchantUpdated, Object: s.MerchantObject(&next)}
	if err := s.Store.SaveMerchant(ctx, &next, e); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, nil, Errorf(EConflict, "The merchant was changed by another request meanwhile; read it again and retry.")
		}
		return nil, nil, Internal(err)
	}
	return &next, changed, nil
}

func logoHash(l *Logo) string {
	if l == nil {
		return ""
	}
	return l.SHA256
}

// renameParam is err (an *Error) naming param instead: a domain check
// shared with the CLI names the API's field.
func renameParam(err error, param string) error {
	var e *Error
	if errors.As(err, &e) && e.Code == EInvalid {
		c := *e
		c.Param = param
		return &c
	}
	return err
}

// ParseOrigins normalizes a list of origins (NormalizeOrigin): at most
// MaxMerchantOrigins, each once, and https only when httpsOnly (a live
// merchant, or a server in live mode); http is otherwise allowed for
// localhost. A refusal names the entry, as param[i].
func ParseOrigins(param string, in []string, httpsOnly bool) ([]string, error) {
	if len(in) > MaxMerchantOrigins {
		return nil, InvalidParam(param, "%s has %d origins; at most %d are allowed", param, len(in), MaxMerchantOrigins)
	}
	out := make([]string, 0, len(in))
	for i, raw := range in {
		at := param + "[" + strconv.Itoa(i) + "]"
		if err := CheckText(at, raw); err != nil {
			return nil, err
		}
		o, err := NormalizeOrigin(raw)
		if err != nil {
			return nil, InvalidParam(at, "%s: %v", at, err)
		}
		if httpsOnly && !strings.HasPrefix(o, "https://") {
			return nil, InvalidParam(at, "%s must be https: http origins (localhost) are for test merchants on a sandbox server", at)
		}
		if slices.Contains(out, o) {
			return nil, InvalidParam(at, "%s repeats %s", at, o)
		}
		out = append(out, o)
	}
	return out, nil
}

// ParseSupportEmail checks the address shoppers may write to about a
// payment: "" for none; otherwise a plain address as net/mail reads it
// (no display name, no quoted part), without the characters a mailto:
// link would have to escape, at most MaxSupportEmailLen characters.
// Surrounding spaces are trimmed.
func ParseSupportEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if err := CheckText("support_email", s); err != nil {
		return "", err
	}
	bad := InvalidParam("support_email", "support_email is not a plain email address such as help@shop.example")
	if len(s) > MaxSupportEmailLen {
		return "", InvalidParam("support_email", "support_email must be at most %d characters", MaxSupportEmailLen)
	}
	if strings.ContainsAny(s, " \"<>()[]\\,;:?#%&") {
		return "", bad
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", bad
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", bad
	}
	return s, nil
}

// ParseSupportURL checks the page shoppers may go to about a payment: ""
// for none; otherwise an absolute https URL (CheckReturnURL's rules:
// a host, no user info, spaces, backslashes or control characters, at
// most MaxURLLength; and no quotes or angle brackets, which the stored
// URL's CHECK refuses too); http only for localhost when allowLocalHTTP
// (a test merchant on a sandbox server).
func ParseSupportURL(raw string, allowLocalHTTP bool) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	if err := CheckReturnURL("support_url", raw); err != nil {
		return "", err
	}
	if strings.ContainsAny(raw, "\"'<>`") {
		return "", InvalidParam("support_url", "support_url must not contain quotes, backticks or angle brackets (percent-encode them)")
	}
	u, _ := url.Parse(raw) // parsed by CheckReturnURL
	if u.Scheme != "https" && !(allowLocalHTTP && u.Scheme == "http" && isLoopback(u.Hostname())) {
		return "", InvalidParam("support_url", "support_url must be https (http only for localhost, for a test merchant on a sandbox server)")
	}
	return raw, nil
}

// Secret key rotation overlap: how long the replaced key keeps working
// next to the new one, so that the merchant can deploy the new key
// without a failed request.
const (
	DefaultKeyOverlap = 24 * time.Hour
	MaxKeyOverlap     = 7 * 24 * time.Hour
)

// KeyOverlap checks expire_previous_in (seconds; nil for the default, 0
// ends the old key at once) and returns it as a duration.
func KeyOverlap(expirePreviousIn *int64) (time.Duration, error) {
	if expirePreviousIn == nil {
		return DefaultKeyOverlap, nil
	}
	// Checked in seconds, before converting, so that no huge value can
	// overflow into an accepted one.
	if *expirePreviousIn < 0 || *expirePreviousIn > int64(MaxKeyOverlap/time.Second) {
		return 0, InvalidParam("expire_previous_in", "expire_previous_in must be from 0 to %d seconds (7 days)", int64(MaxKeyOverlap/time.Second))
	}
	return time.Duration(*expirePreviousIn) * time.Second, nil
}

// RotatedKey is the answer of a key rotation: the new secret key, shown
// this once, and until when the key it replaced still works.
type RotatedKey struct {
	Secret            string
	Live              bool
	CreatedAt         time.Time
	PreviousExpiresAt time.Time
}

// RotateSecretKey gives merchant m a new secret key of its mode (sk_live_
// or sk_test_), in one guarded store statement: only if the key whose
// hash is current is still m's current key (a second rotation from the
// same key, or one made with a key already rotated out, is an EConflict
// and changes nothing). The key it replaces keeps working until overlap
// from now (KeyOverlap; 0 stops it now); a previous key still in its own
// overlap stops at once: two keys at most work. A merchant.key_rotated
// event, without any key, is written with the change.
func (s *Service) RotateSecretKey(ctx context.Context, m *Merchant, current string, overlap time.Duration) (*RotatedKey, error) {
	if overlap < 0 || overlap > MaxKeyOverlap {
		return nil, InvalidParam("expire_previous_in", "the previous key may keep working from 0 to 7 days")
	}
	now := s.now()
	key := NewSecretKey(m.Live)
	r := &RotatedKey{Secret: key, Live: m.Live, CreatedAt: now, PreviousExpiresAt: now.Add(overlap)}
	obj := NewAPIKeyObject(r)
	obj.Secret = ""
	e := Event{ID: s.IDs.NewID(PrefixEvent), MerchantID: m.ID, Type: EventMerchantKeyRotated, CreatedAt: now,
		Data: actorData(ctx, map[string]any{"previous_expires_at": r.PreviousExpiresAt.Unix()}), Notify: WebhookMerchantKeyRotated, Object: obj}
	err := s.Store.RotateMerchantKey(ctx, m.ID, current, HashAPIKey(key), r.PreviousExpiresAt, e)
	switch {
	case errors.Is(err, ErrConflict):
		return nil, Errorf(EConflict, "The key this request was made with is no longer the current secret key (it was rotated, "+
			"perhaps by a concurrent request); rotate with the current key.")
	case errors.Is(err, ErrNotFound):
		return nil, Errorf(ENotFound, "No such merchant.")
	case err != nil:
		return nil, Internal(err)
	}
	return r, nil
}

// RequireCurrentKey refuses a settings change made with a key already
// rotated out (keyHash is the hash of the key the request was made with):
// during the overlap the old key keeps the merchant's integration running,
// but only the current key changes the merchant, so that an old key (one
// rotated out because it leaked, say) cannot redirect its shoppers.
func (s *Service) RequireCurrentKey(m *Merchant, keyHash string) error {
	if keyHash != m.APIKeyHash {
		return Errorf(EForbidden, "This secret key was rotated out: it still works for the rest of the API until %s, "+
			"but the merchant's settings change only with the current key.", m.PreviousKeyExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// MerchantObject is m as the merchant sees it, with its logo's public URL.
func (s *Service) MerchantObject(m *Merchant) MerchantObject {
	logoURL := ""
	if m.Logo != nil && s.LogoURL != nil {
		logoURL = s.LogoURL(m.Logo)
	}
	return NewMerchantObject(m, logoURL)
}

// ReissueWindow is how long after a rotation its new key may be replaced
// by ReissueSecretKey: long enough for a second click or a reload of the
// page that showed it, short enough that a key someone copied and put to
// use is not replaced by a stale form.
const ReissueWindow = 2 * time.Minute

// ReissueSecretKey replaces m's current secret key, made by a rotation
// from the key whose hash is previous less than ReissueWindow ago and shown
// only in that rotation's answer (a second click on the confirmation, or
// a reload, took its place on the screen), with a new one shown now; the
// previous key keeps its own end. The store's statement changes the key
// only while m's keys are still current and previous (EConflict
// otherwise); the key it replaces stops at once. The event is a
// merchant.key_rotated, as for a rotation.
func (s *Service) ReissueSecretKey(ctx context.Context, m *Merchant, previous string) (*RotatedKey, error) {
	now := s.now()
	// When the key was made: the merchant's newest merchant.key_rotated.
	var rotatedAt time.Time
	events, err := s.Store.MerchantEvents(ctx, m.ID, 100)
	if err != nil {
		return nil, Internal(err)
	}
	for _, e := range events {
		if e.Type == EventMerchantKeyRotated {
			rotatedAt = e.CreatedAt
			break
		}
	}
	if m.PreviousKeyHash == "" || m.PreviousKeyHash != previous || !m.PreviousKeyExpiresAt.After(now) || now.Sub(rotatedAt) > ReissueWindow {
		return nil, Errorf(EConflict, "The secret key was rotated meanwhile; rotate it again from the settings page.")
	}
	key := NewSecretKey(m.Live)
	r := &RotatedKey{Secret: key, Live: m.Live, CreatedAt: now, PreviousExpiresAt: m.PreviousKeyExpiresAt}
	obj := NewAPIKeyObject(r)
	obj.Secret = ""
	e := Event{ID: s.IDs.NewID(PrefixEvent), MerchantID: m.ID, Type: EventMerchantKeyRotated, CreatedAt: now,
		Data:   actorData(ctx, map[string]any{"previous_expires_at": r.PreviousExpiresAt.Unix(), "reissued": true}),
		Notify: WebhookMerchantKeyRotated, Object: obj}
	err = s.Store.ReplaceMerchantKey(ctx, m.ID, previous, m.APIKeyHash, HashAPIKey(key), e)
	switch {
	case errors.Is(err, ErrConflict):
		return nil, Errorf(EConflict, "The secret key was rotated meanwhile; rotate it again from the settings page.")
	case errors.Is(err, ErrNotFound):
		return nil, Errorf(ENotFound, "No such merchant.")
	case err != nil:
		return nil, Internal(err)
	}
	return r, nil
}
