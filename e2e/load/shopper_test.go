package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/opencheckout/hostedcheckout/e2e/cardscan"
	bbsandbox "github.com/opencheckout/hostedcheckout/providers/bbmsl/sandbox"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Values the shopper types besides the card number. The security codes are
// distinctive so that the final scan can look for them.
const (
	cvc     = "737"
	amexCVC = "7373"
	holder  = "Ada Lovelace"
)

// pendingLimit is how long a result page may say "pending" before the
// session counts as stuck.
const pendingLimit = 45 * time.Second

// record is what one shopper saw, for the assertions and the report.
type record struct {
	Index     int
	Scenario  scenario
	SessionID string
	PaymentID string // the result page's reference
	Final     string // the result page's data-status
	Routed    string // the provider the API routed the method to
	API       apiSession

	// Own is our server's time for this session's requests (Server-Timing:
	// each handler's time less its wait for a provider; make bench).
	Own time.Duration

	Challenged   bool // a challenge page was shown
	SawPending   bool // the result page said pending first
	WentPending  bool // the timeline: the payment's outcome was unknown for a while
	Reconciled   bool // the timeline: its final state came from an inquiry
	Disturbed    bool // it went pending although the card table implies a direct answer
	AddedCard    bool // this shopper added the customer's saved card
	DoubleSubmit bool // the shopper pressed Pay twice at once (a double click)

	Start, End time.Time
	Steps      map[string]time.Duration // time per step, summed over its repeats
	Requests   int
	Errors     []string // HTTP errors and flow problems
	mu         sync.Mutex
}

func (r *record) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
}

// apiSession is the part of the merchant API's session the test checks.
type apiSession struct {
	ID            string            `json:"id"`
	URL           string            `json:"url"`
	Status        string            `json:"status"`
	PaymentStatus string            `json:"payment_status"`
	Routes        map[string]string `json:"routes"`
	Attempts      int               `json:"attempts"`
	Payment       *struct {
		ID       string `json:"id"`
		Provider string `json:"provider"`
		Status   string `json:"status"`
		Method   string `json:"method"`
		Card     *struct {
			Last4 string `json:"last4"`
		} `json:"card"`
	} `json:"payment"`
}

// run is the state the shoppers share: the app's URLs, the saved-card
// customers, the statistics.
type run struct {
	base, apiKey string
	runID        string
	transport    http.RoundTripper
	stats        *stats
	customers    *customers
	cards        *typedCards
}

// shopper is one browser without JavaScript: a cookie jar, redirects
// followed, and the test playing the page scripts.
type shopper struct {
	run    *run
	rec    *record
	sc     scenario
	hc     *http.Client
	loaded map[string]bool // static assets in the browser cache
	step   string          // the step the current request belongs to
}

// recorder checks every response a shopper gets, redirect hops included:
// any 4xx or 5xx is an error of the run.
type recorder struct {
	next http.RoundTripper
	rec  *record
}

func (t recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	t.rec.mu.Lock()
	t.rec.Requests++
	t.rec.mu.Unlock()
	res, err := t.next.RoundTrip(req)
	if err != nil {
		t.rec.fail("%s %s: %v", req.Method, req.URL.Path, err)
		return nil, err
	}
	if res.StatusCode >= 400 {
		t.rec.fail("HTTP %d on %s %s", res.StatusCode, req.Method, req.URL.Path)
	}
	if own, ok := ownTime(res.Header.Get("Server-Timing")); ok {
		t.rec.mu.Lock()
		t.rec.Own += own
		t.rec.mu.Unlock()
	}
	return res, nil
}

// ownTime reads a Server-Timing header of ours: the handler's time less
// the time it waited for a provider.
func ownTime(header string) (time.Duration, bool) {
	if header == "" {
		return 0, false
	}
	var app, provider float64
	found := false
	for _, part := range strings.Split(header, ",") {
		name, dur, ok := strings.Cut(strings.TrimSpace(part), ";dur=")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(dur, 64)
		if err != nil {
			continue
		}
		switch name {
		case "app":
			app, found = v, true
		case "provider":
			provider = v
		}
	}
	if !found {
		return 0, false
	}
	return time.Duration((app - provider) * float64(time.Millisecond)), true
}

func newShopper(r *run, rec *record) *shopper {
	jar, _ := cookiejar.New(nil)
	return &shopper{
		run: r, rec: rec, sc: rec.Scenario, loaded: map[string]bool{},
		hc: &http.Client{Jar: jar, Transport: recorder{next: r.transport, rec: rec}, Timeout: 30 * time.Second},
	}
}

// page is a document the browser shows.
type page struct {
	url    *url.URL
	status int
	doc    *goquery.Document
}

func (p *page) has(sel string) bool { return p.doc.Find(sel).Length() > 0 }

func (p *page) describe() string {
	title := strings.TrimSpace(p.doc.Find("title").Text())
	if h := strings.TrimSpace(p.doc.Find(`[data-testid="error-heading"]`).Text()); h != "" {
		title += ": " + h + ": " + strings.TrimSpace(p.doc.Find(`[data-testid="error-message"]`).Text())
	}
	return fmt.Sprintf("HTTP %d %s (%q)", p.status, p.url.Path, title)
}

// do sends one browser request, follows redirects and parses the page.
func (s *shopper) do(ctx context.Context, req *http.Request) (*page, error) {
	req = req.WithContext(ctx)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) hostedcheckout-load/1")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	res, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	p := &page{url: res.Request.URL, status: res.StatusCode, doc: doc}
	if res.StatusCode >= 400 {
		return p, fmt.Errorf("%s", p.describe())
	}
	return p, nil
}

func (s *shopper) get(ctx context.Context, target string) (*page, error) {
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	return s.do(ctx, req)
}

// submit sends a form as a browser would: its named inputs, overridden by
// values, to its action resolved against the page.
func (s *shopper) submit(ctx context.Context, p *page, form *goquery.Selection, values url.Values) (*page, error) {
	if form.Length() != 1 {
		return nil, fmt.Errorf("no single form to submit on %s", p.describe())
	}
	v := formValues(form)
	for k, vs := range values {
		v[k] = vs
	}
	action, err := p.url.Parse(form.AttrOr("action", ""))
	if err != nil {
		return nil, err
	}
	var req *http.Request
	if strings.EqualFold(form.AttrOr("method", "get"), http.MethodPost) {
		req, err = http.NewRequest(http.MethodPost, action.String(), strings.NewReader(v.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		action.RawQuery = v.Encode()
		req, err = http.NewRequest(http.MethodGet, action.String(), nil)
	}
	if err != nil {
		return nil, err
	}
	return s.do(ctx, req)
}

// formValues reads a form's named inputs as a browser submits them
// (buttons only when pressed, so not here).
func formValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		v.Add(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	return v
}

// timed runs one step of the journey and records its duration.
func (s *shopper) timed(name string, fn func() (*page, error)) (*page, error) {
	start := time.Now()
	p, err := fn()
	d := time.Since(start)
	s.rec.mu.Lock()
	s.rec.Steps[name] += d
	s.rec.mu.Unlock()
	s.run.stats.step(name, d)
	return p, err
}

// browserData is what the page script puts in the hidden fields.
func browserData() url.Values {
	return url.Values{
		"browser_screen_width": {"1440"}, "browser_screen_height": {"900"}, "browser_color_depth": {"24"},
		"browser_tz_offset": {"-60"}, "browser_language": {"en-US"}, "browser_java_enabled": {"false"},
		"browser_js_enabled": {"true"}, "browser_inner_width": {"1280"}, "browser_inner_height": {"800"},
	}
}

// journey runs the whole session; problems go to the record.
func (s *shopper) journey(ctx context.Context) {
	s.rec.Start = time.Now()
	err := s.journeyErr(ctx)
	s.rec.End = time.Now()
	if err != nil {
		s.rec.fail("%v", err)
	}
}

func (s *shopper) journeyErr(ctx context.Context) error {
	sess, err := s.createSession(ctx)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	s.rec.SessionID = sess.ID
	s.rec.Routed = sess.Routes[s.sc.Method]
	if s.rec.Routed != s.sc.Provider {
		return fmt.Errorf("the %s method was routed to %q, want %s", s.sc.Method, s.rec.Routed, s.sc.Provider)
	}
	p, err := s.timed("page", func() (*page, error) { return s.get(ctx, sess.URL) })
	if err != nil {
		return fmt.Errorf("hosted page: %w", err)
	}
	s.loadAssets(ctx, p)

	switch s.sc.Method {
	case methodCard:
		number := s.sc.Card
		if s.rec.Index%2 == 1 {
			number = cardscan.Grouped(number) // as the page script formats it
		}
		s.run.cards.remember(s.sc.Card)
		code := cvc
		if len(s.sc.Card) == 15 {
			code = amexCVC
		}
		values := browserData()
		values.Set("payment_method", methodCard)
		values.Set("card_number", number)
		values.Set("card_expiry", expiry())
		values.Set("card_cvc", code)
		values.Set("cardholder_name", holder)
		p, err = s.pay(ctx, p, p.doc.Find("#pay-form"), values)
	case methodWallet:
		p, err = s.pay(ctx, p, p.doc.Find("#wallet-form"), browserData())
	case methodSavedCard:
		p, err = s.paySaved(ctx, p)
	}
	if err != nil {
		return fmt.Errorf("pay: %w", err)
	}
	if err := s.drive(ctx, p); err != nil {
		return err
	}
	_, err = s.timed("confirm", func() (*page, error) {
		var got apiSession
		err := s.api(ctx, http.MethodGet, "/v1/checkout/sessions/"+sess.ID, nil, &got, http.StatusOK)
		s.rec.API = got
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	return nil
}

// amount is the session's amount: the scenario's, or one of a rotation
// (never ending in 51, which the wallet refuses).
func (s *shopper) amount() int64 {
	if s.sc.Amount != 0 {
		return s.sc.Amount
	}
	return 1000 + int64(s.rec.Index%40)*100
}

func (s *shopper) createSession(ctx context.Context) (apiSession, error) {
	amount := s.amount()
	body := map[string]any{
		"amount": amount, "currency": s.sc.Currency,
		"merchant_reference": fmt.Sprintf("LOAD-%s-%05d", s.run.runID, s.rec.Index),
		"line_items":         []map[string]any{{"name": "Load test item", "quantity": 1, "unit_amount": amount}},
		"customer":           map[string]any{"email": fmt.Sprintf("shopper%d@load.example", s.rec.Index)},
		"locale":             "en-US",
		"success_url":        "https://shop.example/thanks",
		"cancel_url":         "https://shop.example/cart",
	}
	switch s.sc.Method {
	case methodCard:
		body["payment_methods"] = []string{methodCard}
		body["provider"] = s.sc.Provider
	case methodWallet:
		body["payment_methods"] = []string{methodCard, methodWallet}
	case methodSavedCard:
		body["payment_methods"] = []string{methodSavedCard, methodCard}
		body["customer"] = map[string]any{"email": fmt.Sprintf("shopper%d@load.example", s.rec.Index),
			"reference": s.run.customers.reference(s.run.runID, s.sc.Card)}
	}
	if s.sc.Capture != "" {
		body["capture_mode"] = s.sc.Capture
	}
	if s.sc.ThreeDS != "" {
		body["three_ds"] = s.sc.ThreeDS
	}
	var sess apiSession
	_, err := s.timed("create", func() (*page, error) {
		return nil, s.api(ctx, http.MethodPost, "/v1/checkout/sessions", body, &sess, http.StatusCreated,
			"Idempotency-Key", fmt.Sprintf("load-%s-%05d", s.run.runID, s.rec.Index))
	})
	if err == nil && (sess.ID == "" || sess.URL == "") {
		err = errors.New("the answer has no id or url")
	}
	return sess, err
}

// api calls the merchant API with the demo key.
func (s *shopper) api(ctx context.Context, method, path string, body, out any, want int, headers ...string) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.run.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.run.apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: HTTP %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	return json.Unmarshal(b, out)
}

// loadAssets fetches the page's stylesheet and scripts once per browser.
func (s *shopper) loadAssets(ctx context.Context, p *page) {
	var urls []string
	p.doc.Find(`link[rel="stylesheet"][href], script[src]`).Each(func(_ int, el *goquery.Selection) {
		urls = append(urls, el.AttrOr("href", el.AttrOr("src", "")))
	})
	for _, u := range urls {
		abs, err := p.url.Parse(u)
		if err != nil || s.loaded[abs.String()] {
			continue
		}
		s.loaded[abs.String()] = true
		_, _ = s.timed("assets", func() (*page, error) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, abs.String(), nil)
			res, err := s.hc.Do(req)
			if err != nil {
				return nil, err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return nil, nil
		})
	}
}

// paySaved pays with the customer's saved card, adding it first on the
// provider's add-card page when this shopper is the customer's first.
func (s *shopper) paySaved(ctx context.Context, p *page) (*page, error) {
	c := s.run.customers.get(s.sc.Card)
	c.once.Do(func() {
		s.rec.AddedCard = true
		p, c.err = s.timed("add_card", func() (*page, error) { return s.addCard(ctx, p) })
		if c.err == nil {
			c.id, c.err = selectedCard(p, s.sc.Card)
		}
	})
	if c.err != nil {
		return nil, fmt.Errorf("the customer's card could not be added: %w", c.err)
	}
	form := savedCardForm(p, c.id)
	if form.Length() == 0 {
		// The page was loaded before the card was added: reload it.
		var err error
		if p, err = s.timed("page", func() (*page, error) { return s.get(ctx, p.url.String()) }); err != nil {
			return nil, err
		}
		if form = savedCardForm(p, c.id); form.Length() == 0 {
			return nil, fmt.Errorf("the hosted page does not offer saved card %s: %s", c.id, p.describe())
		}
	}
	return s.pay(ctx, p, form, browserData())
}

// pay submits a payment form, twice at once when the shopper double-clicks
// (the button's guard is JavaScript; the server is the guarantee): both
// answers must be pages, and the browser shows the later one.
func (s *shopper) pay(ctx context.Context, p *page, form *goquery.Selection, values url.Values) (*page, error) {
	if !s.rec.DoubleSubmit {
		return s.timed("pay", func() (*page, error) { return s.submit(ctx, p, form, values) })
	}
	return s.timed("pay", func() (*page, error) {
		type answer struct {
			p   *page
			err error
		}
		answers := make(chan answer, 2)
		for range 2 {
			go func() {
				q, err := s.submit(ctx, p, form, values)
				answers <- answer{q, err}
			}()
		}
		var last answer
		for range 2 {
			a := <-answers
			if a.err != nil {
				return nil, a.err
			}
			last = a
		}
		return last.p, nil
	})
}

func savedCardForm(p *page, cardID string) *goquery.Selection {
	return p.doc.Find("form.saved-card-pay").FilterFunction(func(_ int, f *goquery.Selection) bool {
		return f.Find(`input[name="saved_card"]`).AttrOr("value", "") == cardID
	})
}

// addCard goes from the hosted page to the provider's add-card page, saves
// the card there and comes back to the hosted page, which selects it.
func (s *shopper) addCard(ctx context.Context, p *page) (*page, error) {
	hop, err := s.submit(ctx, p, p.doc.Find("form.add-card"), nil)
	if err != nil {
		return nil, err
	}
	link := hop.doc.Find("#redirect-link")
	target, err := hop.url.Parse(link.AttrOr("href", ""))
	if link.Length() != 1 || err != nil {
		return nil, fmt.Errorf("the add-card hop has no link to the provider: %s", hop.describe())
	}
	s.run.cards.remember(s.sc.Card)
	back, err := bbsandbox.CompleteAddCard(ctx, s.hc, target.String(), s.sc.Card, s.sc.OTP)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, back)
}

// selectedCard is the id of the card the hosted page selects after adding
// one; it must be the card just added.
func selectedCard(p *page, number string) (string, error) {
	btn := p.doc.Find(`.saved-card[data-selected="true"] button[data-testid^="saved-card-"]`)
	if btn.Length() != 1 {
		return "", fmt.Errorf("no saved card is selected after adding one: %s", p.describe())
	}
	if label := btn.Text(); !strings.Contains(label, number[len(number)-4:]) {
		return "", fmt.Errorf("the selected card is %q, not the one added", strings.Join(strings.Fields(label), " "))
	}
	return strings.TrimPrefix(btn.AttrOr("data-testid", ""), "saved-card-"), nil
}

// drive follows the status page until the result: it performs whatever
// step the page shows and reloads a pending result as the page's refresh
// asks.
func (s *shopper) drive(ctx context.Context, p *page) error {
	var pendingSince time.Time
	statusPath := "/c/" + s.rec.SessionID + "/status"
	for hop := 0; hop < 200; hop++ {
		if r := p.doc.Find(`[data-testid="result-status"]`); r.Length() > 0 {
			st := r.AttrOr("data-status", "")
			if st != "pending" {
				if !pendingSince.IsZero() {
					s.run.stats.step("settle_wait", time.Since(pendingSince))
				}
				s.rec.Final = st
				s.rec.PaymentID = strings.TrimSpace(p.doc.Find(`[data-testid="result-reference"]`).Text())
				return nil
			}
			if pendingSince.IsZero() {
				pendingSince, s.rec.SawPending = time.Now(), true
			}
			if time.Since(pendingSince) > pendingLimit {
				return fmt.Errorf("still pending after %s", pendingLimit)
			}
			if err := sleep(ctx, refresh(p)); err != nil {
				return err
			}
			var err error
			if p, err = s.timed("poll", func() (*page, error) { return s.get(ctx, s.run.base+statusPath) }); err != nil {
				return fmt.Errorf("status page: %w", err)
			}
			continue
		}
		if p.url.Path != statusPath {
			return fmt.Errorf("expected the status page, got %s", p.describe())
		}
		var err error
		switch {
		case p.has("#ddc-form"):
			p, err = s.timed("ddc", func() (*page, error) { return s.collectDeviceData(ctx, p) })
		case p.has("#challenge-form"):
			p, err = s.timed("challenge", func() (*page, error) {
				return s.away(ctx, func() (*page, error) { return s.submit(ctx, p, p.doc.Find("#challenge-form"), nil) })
			})
		case p.has("#redirect-link"):
			p, err = s.timed("redirect", func() (*page, error) {
				return s.away(ctx, func() (*page, error) {
					target, err := p.url.Parse(p.doc.Find("#redirect-link").AttrOr("href", ""))
					if err != nil {
						return nil, err
					}
					return s.get(ctx, target.String())
				})
			})
		case p.has("#redirect-form"):
			name := "redirect_form"
			if s.sc.Method == methodWallet {
				name = "wallet"
			}
			p, err = s.timed(name, func() (*page, error) {
				return s.away(ctx, func() (*page, error) { return s.submit(ctx, p, p.doc.Find("#redirect-form"), nil) })
			})
		default:
			return fmt.Errorf("the status page shows no step and no result: %s", p.describe())
		}
		if err != nil {
			return err
		}
	}
	return errors.New("the status page went round in circles")
}

// collectDeviceData plays the device data collection iframe: it posts the
// collector form, reads the message the collector posts to its parent, and
// submits the continue form with the SessionId, as action.js does.
func (s *shopper) collectDeviceData(ctx context.Context, p *page) (*page, error) {
	frame, err := s.submit(ctx, p, p.doc.Find("#ddc-form"), nil)
	if err != nil {
		return nil, fmt.Errorf("device data collection: %w", err)
	}
	var msg struct {
		MessageType string
		SessionID   string `json:"SessionId"`
		Status      bool
	}
	if err := json.Unmarshal([]byte(frame.doc.Find("#profile-message").Text()), &msg); err != nil || msg.MessageType != "profile.completed" {
		return nil, fmt.Errorf("device data collection posted no profile.completed message (%v): %s", err, frame.describe())
	}
	if !msg.Status {
		msg.SessionID = ""
	}
	timedOut := "false"
	if msg.SessionID == "" {
		timedOut = "true"
	}
	return s.submit(ctx, p, p.doc.Find("#ddc-continue"), url.Values{"SessionId": {msg.SessionID}, "ddc_timed_out": {timedOut}})
}

// away follows the shopper outside our pages (the provider's 3-D Secure
// pages, the wallet's cashier, the challenge iframe) until the status page
// shows again.
func (s *shopper) away(ctx context.Context, first func() (*page, error)) (*page, error) {
	p, err := first()
	statusPath := "/c/" + s.rec.SessionID + "/status"
	for hop := 0; err == nil && hop < 10; hop++ {
		if p.url.Path == statusPath {
			return p, nil
		}
		switch {
		case p.has("#to-parent"): // our challenge return, inside the iframe
			var target *url.URL
			if target, err = p.url.Parse(p.doc.Find("#to-parent").AttrOr("href", "")); err == nil {
				p, err = s.get(ctx, target.String())
			}
		case p.has(`[data-testid="otp-input"]`):
			s.rec.Challenged = true
			otp := s.sc.OTP
			if otp == "" {
				s.rec.fail("a challenge was shown, the card table implies none")
				otp = testcards.ChallengeCode
			}
			input := p.doc.Find(`[data-testid="otp-input"]`)
			values := url.Values{input.AttrOr("name", "otp"): {otp}}
			if b := p.doc.Find(`[data-testid="otp-submit"]`); b.AttrOr("name", "") != "" {
				values.Set(b.AttrOr("name", ""), b.AttrOr("value", ""))
			}
			p, err = s.submit(ctx, p, input.Closest("form"), values)
		case p.has(`[data-testid="wallet-approve"]`):
			if s.sc.Choice == "" {
				return nil, fmt.Errorf("the wallet's cashier was shown, the amount implies none")
			}
			b := p.doc.Find(`[data-testid="wallet-` + s.sc.Choice + `"]`)
			p, err = s.submit(ctx, p, b.Closest("form"), url.Values{b.AttrOr("name", "choice"): {b.AttrOr("value", s.sc.Choice)}})
		case p.has(`[data-testid="wallet-return"]`):
			var target *url.URL
			if target, err = p.url.Parse(p.doc.Find(`[data-testid="wallet-return"]`).AttrOr("href", "")); err == nil {
				p, err = s.get(ctx, target.String())
			}
		case p.has("form#return"): // the ACS posts its answer back to us
			p, err = s.submit(ctx, p, p.doc.Find("form#return"), nil)
		default:
			return nil, fmt.Errorf("lost outside the checkout: %s", p.describe())
		}
	}
	if err != nil {
		return nil, err
	}
	return nil, errors.New("the provider's pages went round in circles")
}

// refresh is the pending page's own reload interval.
func refresh(p *page) time.Duration {
	if n, err := strconv.Atoi(p.doc.Find(`meta[http-equiv="refresh"]`).AttrOr("content", "")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return time.Second
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func expiry() string {
	return time.Now().AddDate(3, 0, 0).Format("01 / 06")
}

// customers are the saved-card shoppers: one per card kind, each with one
// card added on the provider's page by its first session.
type customers struct {
	mu sync.Mutex
	m  map[string]*customer
}

type customer struct {
	once sync.Once
	id   string // the saved card's id
	err  error
}

func (c *customers) get(card string) *customer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*customer{}
	}
	if c.m[card] == nil {
		c.m[card] = &customer{}
	}
	return c.m[card]
}

func (c *customers) reference(runID, card string) string {
	return "load-" + runID + "-cust-" + card[len(card)-4:]
}

// typedCards are the card numbers the shoppers typed, for the final scan.
type typedCards struct {
	mu sync.Mutex
	m  map[string]bool
}

func (t *typedCards) remember(n string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]bool{}
	}
	t.m[n] = true
}

func (t *typedCards) list() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.m))
	for n := range t.m {
		out = append(out, n)
	}
	return out
}
