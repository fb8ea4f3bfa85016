package sandbox

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opencheckout/hostedcheckout/providers/bbmsl"
)

// params reads a request's fields the way PayAPI validates them: the first
// field at fault is remembered by name (dotted for nested ones), and later
// reads are skipped. The seed's own example sends merchantId as a number
// and tokenId as a string where its table says the reverse, so ids are
// taken in either form.
type params struct {
	fields map[string]json.RawMessage
	prefix string
	bad    string
	root   *params
}

func newParams(b []byte) (*params, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]json.RawMessage
	if dec.Decode(&m) != nil || m == nil || dec.More() {
		return nil, false
	}
	p := &params{fields: m}
	p.root = p
	return p, true
}

// fail records the first bad field.
func (p *params) fail(name string) {
	if p.root.bad == "" {
		p.root.bad = p.prefix + name
	}
}

func (p *params) ok() bool { return p.root.bad == "" }

// raw returns a field's JSON, nil when absent or null.
func (p *params) raw(name string) json.RawMessage {
	v := bytes.TrimSpace(p.fields[name])
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return nil
	}
	return v
}

// str reads a string of at most max characters without control characters.
func (p *params) str(name string, required bool, max int) string {
	if !p.ok() {
		return ""
	}
	v := p.raw(name)
	if v == nil {
		if required {
			p.fail(name)
		}
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) != nil || utf8.RuneCountInString(s) > max || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		p.fail(name)
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		p.fail(name)
	}
	return s
}

// digits reads an id given as a JSON number or a string of digits.
func (p *params) digits(name string, required bool) string {
	if !p.ok() {
		return ""
	}
	v := p.raw(name)
	if v == nil {
		if required {
			p.fail(name)
		}
		return ""
	}
	s := string(v)
	if v[0] == '"' {
		if json.Unmarshal(v, &s) != nil {
			p.fail(name)
			return ""
		}
	}
	if s == "" || len(s) > 18 || strings.Trim(s, "0123456789") != "" {
		p.fail(name)
		return ""
	}
	return s
}

// id reads a positive numeric id.
func (p *params) id(name string, required bool) int64 {
	s := p.digits(name, required)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		p.fail(name)
		return 0
	}
	return n
}

// amount reads a Number(9,2): a JSON number with at most two decimals, in
// minor units of currency.
func (p *params) amount(name, currency string, required bool) int64 {
	if !p.ok() {
		return 0
	}
	v := p.raw(name)
	if v == nil {
		if required {
			p.fail(name)
		}
		return 0
	}
	m, err := bbmsl.ParseAmount(string(v), currency)
	if err != nil || m.Amount > bbmsl.MaxWireAmount {
		p.fail(name)
		return 0
	}
	return m.Amount
}

// integer reads a whole JSON number from min to max.
func (p *params) integer(name string, min, max int64) int64 {
	if !p.ok() {
		return 0
	}
	n, err := strconv.ParseInt(string(p.raw(name)), 10, 64)
	if err != nil || n < min || n > max {
		p.fail(name)
		return 0
	}
	return n
}

// boolean reads true or false; the PHP SDK sends 1 or 0, which count too.
func (p *params) boolean(name string) bool {
	if !p.ok() {
		return false
	}
	switch string(p.raw(name)) {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	p.fail(name)
	return false
}

// object reads a nested object; nil when absent.
func (p *params) object(name string, required bool) *params {
	if !p.ok() {
		return nil
	}
	v := p.raw(name)
	if v == nil {
		if required {
			p.fail(name)
		}
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		p.fail(name)
		return nil
	}
	return &params{fields: m, prefix: p.prefix + name + ".", root: p.root}
}

// array reads an array of objects.
func (p *params) array(name string) []*params {
	if !p.ok() {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(p.raw(name), &items) != nil {
		p.fail(name)
		return nil
	}
	out := make([]*params, 0, len(items))
	for i, it := range items {
		var m map[string]json.RawMessage
		if json.Unmarshal(it, &m) != nil || m == nil {
			p.fail(name + "[" + strconv.Itoa(i) + "]")
			return nil
		}
		out = append(out, &params{fields: m, prefix: p.prefix + name + "[" + strconv.Itoa(i) + "].", root: p.root})
	}
	return out
}

// url reads an absolute http(s) URL.
func (p *params) url(name string, required bool) string {
	s := p.str(name, required, 2048)
	if s != "" && !absoluteHTTP(s) {
		p.fail(name)
		return ""
	}
	return s
}

// orderJSON is the order object of seed 001's sale answer [S].
type orderJSON struct {
	ID                int64       `json:"id"`
	MerchantID        json.Number `json:"merchantId"`
	MerchantReference string      `json:"merchantReference"`
	Currency          string      `json:"currency"`
	Amount            json.Number `json:"amount"`
	NetAmount         json.Number `json:"netAmount"`
	CardType          string      `json:"cardType"`
	CreateTime        string      `json:"createTime"`
	UpdateTime        string      `json:"updateTime"`
	Status            string      `json:"status"`
	IssuerCountryCode string      `json:"issuerCountryCode"`
	Recurring         bool        `json:"recurring"`
}

// transactionJSON is the transaction object of seed 001's sale answer [S];
// responseCode is [I].
type transactionJSON struct {
	ID           int64       `json:"id"`
	MerchantID   json.Number `json:"merchantId"`
	Type         string      `json:"type"`
	Amount       json.Number `json:"amount"`
	Currency     string      `json:"currency"`
	Status       string      `json:"status"`
	MaskedPan    string      `json:"maskedPan"`
	Stan         string      `json:"stan"`
	ResponseCode string      `json:"responseCode"`
}

// orderAnswer is the answer of sale, recurring, void and query.
type orderAnswer struct {
	answer
	Order       orderJSON       `json:"order"`
	Transaction transactionJSON `json:"transaction"`
}

// tokenJSON is one entry of query-token's list [V demo app; status I].
type tokenJSON struct {
	TokenID      int64  `json:"tokenId"`
	UserID       string `json:"userId"`
	MaskedPan    string `json:"maskedPan"`
	CardBrand    string `json:"cardBrand"`
	CardSubBrand string `json:"cardSubBrand"`
	ExpiryDate   string `json:"expiryDate"`
	Status       string `json:"status"`
}
