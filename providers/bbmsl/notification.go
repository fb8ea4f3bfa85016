package bbmsl

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// CanonicalForm is one way of turning a notification's fields into the
// string its signature covers: every field but signature, sorted by key,
// joined as k=v with & (PROVIDERS.md 2.4) [V]. BBMSL's own plugins build
// it two ways, which agree when values are plain words.
type CanonicalForm int

// Canonical forms.
const (
	// FormRaw is the values as they are (plugin v1.0.23); the sandbox signs
	// this form.
	FormRaw CanonicalForm = iota
	// FormQuery is PHP's http_build_query after ksort (plugin v1.0.8):
	// keys and values URL-encoded, a space as +.
	FormQuery
)

// notifyField is one field of a notification as PHP reads it from JSON.
type notifyField struct {
	key   string
	value string // a string's value, or a number's literal
	kind  byte   // 's' string or number, 't' true, 'f' false, 'n' null
}

// NotificationContent is the string a notification with these (string)
// fields signs in the given form; a "signature" field is left out.
func NotificationContent(fields map[string]string, form CanonicalForm) string {
	fs := make([]notifyField, 0, len(fields))
	for k, v := range fields {
		if k != "signature" {
			fs = append(fs, notifyField{key: k, value: v, kind: 's'})
		}
	}
	return content(fs, form, false)
}

// SignNotification is a notification's JSON body: fields plus a signature
// by BBMSL's key over their FormRaw content.
func SignNotification(key *rsa.PrivateKey, fields map[string]string) ([]byte, error) {
	sig, err := Sign(key, []byte(NotificationContent(fields, FormRaw)))
	if err != nil {
		return nil, err
	}
	body := make(map[string]string, len(fields)+1)
	for k, v := range fields {
		body[k] = v
	}
	body["signature"] = sig
	return marshal(body)
}

// content builds the signed string. pairSort sorts the k=v strings instead
// of the keys, as plugin v1.0.23 literally does; the two orders differ only
// when a key is a prefix of another followed by a character below '='.
func content(fs []notifyField, form CanonicalForm, pairSort bool) string {
	sort.Slice(fs, func(i, j int) bool { return fs[i].key < fs[j].key })
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		switch form {
		case FormQuery:
			var v string
			switch f.kind {
			case 'n':
				continue // http_build_query leaves nulls out
			case 't':
				v = "1"
			case 'f':
				v = "0"
			default:
				v = phpURLEncode(f.value)
			}
			parts = append(parts, phpURLEncode(f.key)+"="+v)
		default:
			v := f.value
			switch f.kind {
			case 't':
				v = "1"
			case 'f', 'n':
				v = ""
			}
			parts = append(parts, f.key+"="+v)
		}
	}
	if pairSort {
		sort.Strings(parts)
	}
	return strings.Join(parts, "&")
}

// phpURLEncode is PHP's urlencode: letters, digits, '-', '_' and '.' stay,
// a space becomes '+', every other byte %XX in upper case.
func phpURLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// verifyNotification checks the signature of a notification body against
// each canonical form and returns its fields; nothing is read before.
func verifyNotification(key *rsa.PublicKey, body []byte) (map[string]notifyField, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, errors.New("bbmsl: notification body is not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("bbmsl: notification body has trailing data")
	}
	var sig string
	if err := json.Unmarshal(raw["signature"], &sig); err != nil || strings.TrimSpace(sig) == "" {
		return nil, errors.New("bbmsl: notification without a signature")
	}
	fields := make(map[string]notifyField, len(raw))
	list := make([]notifyField, 0, len(raw))
	for k, v := range raw {
		if k == "signature" {
			continue
		}
		f, err := fieldOf(k, v)
		if err != nil {
			return nil, err
		}
		fields[k] = f
		list = append(list, f)
	}
	// In the raw forms a value holding & or = could pass for several
	// fields (merging or hiding them under one signature); such values
	// are only accepted through the URL-encoded form.
	rawSafe := true
	for _, f := range list {
		if strings.ContainsAny(f.key+f.value, "&=") {
			rawSafe = false
		}
	}
	candidates := []string{content(list, FormQuery, false)}
	if rawSafe {
		candidates = append(candidates, content(list, FormRaw, false), content(list, FormRaw, true))
	}
	for _, candidate := range candidates {
		if Verify(key, []byte(candidate), sig) == nil {
			return fields, nil
		}
	}
	return nil, errors.New("bbmsl: notification signature does not verify")
}

// fieldOf reads one JSON value the way PHP's json_decode would print it.
// Objects and arrays have no canonical form and are refused.
func fieldOf(key string, v json.RawMessage) (notifyField, error) {
	v = bytes.TrimSpace(v)
	f := notifyField{key: key}
	switch {
	case len(v) == 0:
		return f, errors.New("bbmsl: notification field without a value")
	case v[0] == '"':
		f.kind = 's'
		if err := json.Unmarshal(v, &f.value); err != nil {
			return f, errors.New("bbmsl: notification field is not readable")
		}
	case bytes.Equal(v, []byte("true")):
		f.kind = 't'
	case bytes.Equal(v, []byte("false")):
		f.kind = 'f'
	case bytes.Equal(v, []byte("null")):
		f.kind = 'n'
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		f.kind, f.value = 's', string(v)
	default:
		return f, errors.New("bbmsl: notification with a nested field, which has no canonical form")
	}
	return f, nil
}

// Notification verifies and reads a notification BBMSL posted to
// callbackUrl.notify. The signature (BBMSL's key, over the other fields in
// either canonical form) is checked before anything in the body is used.
// EventID is "<orderId>:<status>": BBMSL's retries share it, a later status
// of the same order does not. The amount is read only together with a
// currency field; without one Amount is nil.
func (c *Client) Notification(_ context.Context, req checkout.NotificationRequest) (checkout.Notification, error) {
	if req.Method != http.MethodPost {
		return checkout.Notification{}, errors.New("bbmsl: notification with a method other than POST")
	}
	fields, err := verifyNotification(c.bbmslKey, req.Body)
	if err != nil {
		return checkout.Notification{}, err
	}
	get := func(k string) string {
		if f, ok := fields[k]; ok && f.kind == 's' {
			return f.value
		}
		return ""
	}
	orderID, status := cleanID(get("orderId")), cleanStatus(get("status"))
	if orderID == "" || status == "" {
		return checkout.Notification{}, errors.New("bbmsl: notification without a well-formed orderId and status")
	}
	out := checkout.Notification{
		EventID:     orderID + ":" + status,
		Type:        status,
		PaymentID:   cleanRef(get("merchantReference")),
		ProviderRef: orderID,
		Outcome: mapOrder(orderView{
			orderID:   orderID,
			txStatus:  status,
			code:      get("responseCode"),
			maskedPan: get("maskedPan"),
			cardType:  get("cardType"),
		}),
		Reply: checkout.NotificationReply{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: NotificationAck},
	}
	if amount, currency := get("amount"), get("currency"); amount != "" && currency != "" {
		m, err := ParseAmount(amount, currency)
		if err != nil {
			return checkout.Notification{}, errors.New("bbmsl: notification amount is not an HKD or USD amount with at most two decimals")
		}
		out.Amount = &m
	}
	return out, nil
}
