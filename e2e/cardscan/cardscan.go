// Package cardscan finds card data at rest: the browser journeys and the
// load test both end by reading the database files and the logs as raw
// bytes for every card number and security code the shoppers typed.
package cardscan

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// cvcField finds any field named like a security code that holds digits,
// whatever the value: there must be none at rest.
var cvcField = regexp.MustCompile(`(?i)(cvc|cvv|csc|security.?code)["'=:\s]{1,4}\d{3,4}`)

// Scan reads files and reports every card number (the given ones and the
// sandbox test cards; digits only, in groups of four, and grouped as the
// card's brand prints it) and every given security code in a field or a
// quoted or form-encoded value. An unreadable file is reported too.
func Scan(files, numbers, codes []string) []string {
	set := map[string]bool{}
	for _, n := range numbers {
		set[strings.ReplaceAll(n, " ", "")] = true
	}
	for _, row := range testcards.Table() {
		set[row.Number] = true
	}
	var needles []string
	for n := range set {
		needles = append(needles, n, groupsOfFour(n))
		if g := Grouped(n); g != groupsOfFour(n) {
			needles = append(needles, g)
		}
	}
	for _, c := range codes {
		needles = append(needles, `"`+c+`"`, "="+c+"&", "="+c+"\n", `\"`+c+`\"`)
	}
	var hits []string
	for _, f := range files {
		body, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) && (strings.HasSuffix(f, "-wal") || strings.HasSuffix(f, "-shm")) {
			// SQLite removed it when its last connection closed, after
			// checkpointing it into the database file.
			continue
		}
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

// Grouped writes a card number as its brand prints it (and the checkout
// page formats it): American Express 4-6-5, every other in groups of four.
func Grouped(n string) string {
	groups := []int{4, 4, 4, 4, 3}
	if len(n) == 15 && (strings.HasPrefix(n, "34") || strings.HasPrefix(n, "37")) {
		groups = []int{4, 6, 5}
	}
	var out []string
	for i, g := 0, 0; g < len(groups) && i < len(n); g++ {
		end := min(i+groups[g], len(n))
		out = append(out, n[i:end])
		i = end
	}
	return strings.Join(out, " ")
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
