package load

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// cvcField finds any field named like a security code that holds digits:
// there must be none at rest (the e2e suite's rule).
var cvcField = regexp.MustCompile(`(?i)(cvc|cvv|csc|security.?code)["'=:\s]{1,4}\d{3,4}`)

// scanForCardData reads files as raw bytes and reports every card number
// (digits only, in groups of four, and as American Express is grouped) and
// every security code the shoppers typed, in a field or a quoted or
// form-encoded value. It is the e2e suite's scanner with the file list and
// the numbers as parameters.
func scanForCardData(files, numbers []string) []string {
	set := map[string]bool{}
	for _, n := range numbers {
		set[n] = true
	}
	for _, row := range testcards.Table() {
		set[row.Number] = true
	}
	var needles []string
	for n := range set {
		needles = append(needles, n, groupsOfFour(n))
		if s := spaced(n); s != groupsOfFour(n) {
			needles = append(needles, s)
		}
	}
	for _, c := range []string{cvc, amexCVC} {
		needles = append(needles, `"`+c+`"`, "="+c+"&", "="+c+"\n", `\"`+c+`\"`)
	}
	var hits []string
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			hits = append(hits, err.Error())
			continue
		}
		s := string(body)
		for _, n := range needles {
			if i := strings.Index(s, n); i >= 0 {
				hits = append(hits, fmt.Sprintf("%s: %q at byte %d", filepath.Base(f), n, i))
			}
		}
		if m := cvcField.FindString(s); m != "" {
			hits = append(hits, fmt.Sprintf("%s: security code field %q", filepath.Base(f), m))
		}
	}
	return hits
}

func groupsOfFour(n string) string {
	var b strings.Builder
	for i, r := range n {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// existing keeps the files that exist.
func existing(paths ...string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// TestScanFindsCardData proves the scan can fail: it plants card numbers
// and a security code where a leak would put them.
func TestScanFindsCardData(t *testing.T) {
	dir := t.TempDir()
	db, log := filepath.Join(dir, "checkout.db"), filepath.Join(dir, "app.log")
	write := func(name, body string) {
		if err := os.WriteFile(name, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(db, "SQLite format 3\x00 card 424242 4242 exp 12/30")
	write(log, `{"msg":"http","path":"/c/cs_x/pay","duration_ms":737123}`+"\n")
	if hits := scanForCardData([]string{db, log}, []string{"4000000000052672"}); len(hits) != 0 {
		t.Fatalf("clean files flagged: %v", hits)
	}
	for _, leak := range []string{
		testcards.Challenge, "4000 0000 0000 3220", "3782 822463 10005", "4000 0000 0005 2672",
		`{"card_cvc":"737"}`, `card_number=4242&card_cvc=737&x=1`, "cvc: 7373",
	} {
		write(log, "ok\n"+leak+"\n")
		if hits := scanForCardData([]string{db, log}, []string{"4000000000052672"}); len(hits) == 0 {
			t.Errorf("leak %q not found", leak)
		}
	}
}
