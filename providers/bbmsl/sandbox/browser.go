package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/opencheckout/hostedcheckout/checkout"
)

// Values CompleteAddCard types besides the card number.
const (
	TestHolder = "Jane Doe"
	TestCVC    = "123" // 1234 for American Express
	TestMonth  = 12    // the expiry is December, three years ahead
)

// CompleteAddCard plays the shopper on the hosted add-card page over plain
// HTTP, for tests: it opens pageURL (what add-token answered), types
// cardNumber with TestHolder, TestCVC and an expiry of TestMonth three
// years ahead, answers a 3-D Secure challenge with otp when the page asks,
// and returns the absolute URL the page finally sends the browser to (one
// of add-token's callback URLs), without following it. client nil means a
// plain client with a 5 second timeout; its redirects are not followed.
func CompleteAddCard(ctx context.Context, client *http.Client, pageURL, cardNumber, otp string) (string, error) {
	return CompleteAddCardAs(ctx, client, pageURL, cardNumber, TestHolder, otp)
}

// CompleteAddCardAs is CompleteAddCard typing holder as the name on the
// card, for instance a magic name that makes the token's charges misbehave
// (package sandboxfault).
func CompleteAddCardAs(ctx context.Context, client *http.Client, pageURL, cardNumber, holder, otp string) (string, error) {
	hc := &http.Client{Timeout: 5 * time.Second}
	if client != nil {
		c := *client
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	page, err := url.Parse(pageURL)
	if err != nil || !absoluteHTTP(pageURL) {
		return "", errors.New("bbmsl sandbox: the add-card URL is not an absolute http(s) URL")
	}
	status, body, _, err := send(ctx, hc, http.MethodGet, page, nil)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK || !strings.Contains(body, `data-testid="card-number"`) {
		return "", fmt.Errorf("bbmsl sandbox: the add-card page answered HTTP %d without its card form", status)
	}

	cvc := TestCVC
	if checkout.DetectBrand(cardNumber) == checkout.BrandAmex {
		cvc = "1234"
	}
	form := url.Values{
		"card-number":     {cardNumber},
		"card-expiry":     {fmt.Sprintf("%02d/%02d", TestMonth, (time.Now().Year()+3)%100)},
		"card-cvc":        {cvc},
		"cardholder-name": {holder},
	}
	status, body, loc, err := send(ctx, hc, http.MethodPost, page, form)
	if err != nil {
		return "", err
	}
	switch {
	case status == http.StatusSeeOther:
		return loc, nil
	case status == http.StatusOK && strings.Contains(body, `data-testid="otp-input"`):
	case status == http.StatusUnprocessableEntity:
		return "", fmt.Errorf("bbmsl sandbox: the add-card page refused the card: %s", strings.Join(fieldErrors(body), ", "))
	default:
		return "", fmt.Errorf("bbmsl sandbox: the card form answered HTTP %d", status)
	}

	challenge := *page
	challenge.Path = strings.TrimRight(challenge.Path, "/") + "/challenge"
	status, _, loc, err = send(ctx, hc, http.MethodPost, &challenge, url.Values{"otp": {otp}})
	if err != nil {
		return "", err
	}
	if status != http.StatusSeeOther {
		return "", fmt.Errorf("bbmsl sandbox: the challenge answered HTTP %d", status)
	}
	return loc, nil
}

// send makes one request and returns the status, the body (for a page) and
// the absolute Location of a redirect.
func send(ctx context.Context, hc *http.Client, method string, target *url.URL, form url.Values) (int, string, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		return 0, "", "", errors.New("bbmsl sandbox: building the page request failed")
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", "", fmt.Errorf("bbmsl sandbox: %s %s: %w", method, target.Path, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	loc := ""
	if l := resp.Header.Get("Location"); l != "" {
		if u, err := target.Parse(l); err == nil {
			loc = u.String()
		}
	}
	return resp.StatusCode, string(b), loc, nil
}

var fieldErrorPattern = regexp.MustCompile(`data-testid="field-error-([a-z-]+)"`)

// fieldErrors names the fields a page marked as wrong.
func fieldErrors(page string) []string {
	var out []string
	for _, m := range fieldErrorPattern.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}
