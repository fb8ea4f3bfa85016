package e2e

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opencheckout/hostedcheckout/e2e/cardscan"
	"github.com/opencheckout/hostedcheckout/providers/testcards"
)

// Security codes the journeys type. They are distinctive on purpose; the
// scan looks for them in the places a leak would put them.
const (
	cvc     = "737"
	amexCVC = "7373"
)

var (
	typedMu sync.Mutex
	typed   = map[string]bool{}
)

// remember records a card number the suite typed, for the final scan.
func remember(number string) {
	typedMu.Lock()
	defer typedMu.Unlock()
	typed[strings.ReplaceAll(number, " ", "")] = true
}

// scanForCardData reads the database, its WAL and shared-memory files and
// the captured logs for every card number the suite typed and every
// security code (cardscan.Scan). The WAL and shared-memory files come
// first: SQLite may checkpoint and remove them as its last connection
// closes, and what they held is then in the database file, read after.
func scanForCardData(dir string) []string {
	var files []string
	for _, name := range []string{"checkout.db-wal", "checkout.db-shm", "checkout.db", "app.log"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			files = append(files, filepath.Join(dir, name))
		}
	}
	if pgCluster != nil && pgCluster.Dir() != "" {
		// On PostgreSQL: every file of the cluster (tables, indexes, WAL).
		_ = filepath.WalkDir(filepath.Join(pgCluster.Dir(), "data"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		if len(files) < 10 {
			return []string{"expected the PostgreSQL cluster's files and the log, found " + strings.Join(files, ", ")}
		}
	} else if len(files) < 2 {
		return []string{"expected the database and the log in " + dir + ", found " + strings.Join(files, ", ")}
	}
	typedMu.Lock()
	numbers := slices.Collect(maps.Keys(typed))
	typedMu.Unlock()
	return cardscan.Scan(files, numbers, []string{cvc, amexCVC})
}

// TestScanFindsCardData proves the final scan can fail: it plants a card
// number and a security code where a leak would put them.
func TestScanFindsCardData(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("checkout.db", "SQLite format 3\x00 card 424242 4242 exp 12/30")
	write("app.log", `{"msg":"http","path":"/c/cs_x/pay","duration_ms":737123}`+"\n")
	if hits := scanForCardData(dir); len(hits) != 0 {
		t.Fatalf("clean files flagged: %v", hits)
	}
	for _, leak := range []string{
		testcards.Challenge, "4000 0000 0000 3220", `{"card_cvc":"737"}`, `card_number=4242&card_cvc=737&x=1`, "cvc: 7373",
	} {
		write("app.log", "ok\n"+leak+"\n")
		if hits := scanForCardData(dir); len(hits) == 0 {
			t.Errorf("leak %q not found", leak)
		}
	}
}
