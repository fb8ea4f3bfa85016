package load

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opencheckout/hostedcheckout/e2e/cardscan"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// scanForCardData reads files for the given card numbers, the sandbox
// test cards and the security codes the shoppers typed (cardscan.Scan).
func scanForCardData(files, numbers []string) []string {
	return cardscan.Scan(files, numbers, []string{cvc, amexCVC})
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
