package relay

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Sign is the Standard Webhooks webhook-signature header value:
// v1,<base64 HMAC-SHA256 of "id.timestamp.body" under the secret's key>.
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", errors.New("webhook secret is not whsec_ base64")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// webhookSchedule is the wait before each retry (Standard Webhooks'
// example): about 75 hours in all.
var webhookSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// NextAttempt is when retry number n (1-based: after n failed
// attempts) is due, with up to 10% jitter; false once the schedule is done.
func NextAttempt(now time.Time, n int) (time.Time, bool) {
	if n < 1 || n > len(webhookSchedule) {
		return time.Time{}, false
	}
	d := webhookSchedule[n-1]
	if j, err := rand.Int(rand.Reader, big.NewInt(int64(d/10)+1)); err == nil {
		d += time.Duration(j.Int64())
	}
	return now.Add(d), true
}
