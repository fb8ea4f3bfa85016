// Package wirekit holds the small decoding and sanitising rules the provider
// adapters share, so that each is written once.
package wirekit

import (
	"bytes"
	"encoding/json"
	"regexp"
)

// FlexString reads a JSON string or number as a string, so that a field
// written as a number (an ECI of 5 for "05", a numeric error code) does
// not make a whole answer unreadable. null leaves it empty.
type FlexString string

// UnmarshalJSON accepts a string, a number or null.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = FlexString(n.String())
	return nil
}

// CleanCode keeps a provider's result or error code only if it matches
// pattern, so that an odd answer cannot carry echoed input (a card number)
// into our logs and records: an empty code becomes empty, anything else
// that does not match becomes invalid.
func CleanCode(pattern *regexp.Regexp, s, empty, invalid string) string {
	switch {
	case pattern.MatchString(s):
		return s
	case s == "":
		return empty
	}
	return invalid
}
