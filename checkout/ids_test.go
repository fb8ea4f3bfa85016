package checkout

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func at(t time.Time) RandomIDs { return RandomIDs{Now: func() time.Time { return t }} }

// Ids sort by the time they were made: an id made in a later millisecond
// is greater than every id made in an earlier one, over a few years and
// across the last millisecond's edge, so that lists can page by id. They
// are the prefix and 36 characters (132 random bits), and IDFloor is a lower
// bound of every id made from its time on.
func TestIDsSortByCreationTime(t *testing.T) {
	base := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	steps := []time.Duration{time.Millisecond, 2 * time.Millisecond, time.Second, time.Hour, 24 * time.Hour, 3 * 365 * 24 * time.Hour}
	for _, step := range steps {
		for range 200 {
			earlier, later := at(base).NewID(PrefixSession), at(base.Add(step)).NewID(PrefixSession)
			if earlier >= later {
				t.Fatalf("an id %v later does not sort after: %s >= %s", step, earlier, later)
			}
			if floor := IDFloor(PrefixSession, base.Add(step)); floor <= earlier || floor > later {
				t.Fatalf("IDFloor %s is not between %s and %s", floor, earlier, later)
			}
		}
	}
	// Made one after another on the real clock, a millisecond apart.
	var ids []string
	for range 5 {
		ids = append(ids, RandomIDs{}.NewID(PrefixPayment))
		time.Sleep(2 * time.Millisecond)
	}
	if !slices.IsSorted(ids) {
		t.Fatalf("ids made in order do not sort in order: %v", ids)
	}
	for _, id := range ids {
		if len(id) != len(PrefixPayment)+36 || !ValidID(PrefixPayment, id) || strings.Trim(id[4:], "0123456789abcdefghijklmnopqrstuv") != "" {
			t.Fatalf("id %q: want pay_ and 36 characters of 0-9a-v", id)
		}
	}
	// Ids of one millisecond differ (112 random bits).
	seen := map[string]bool{}
	for range 1000 {
		id := at(base).NewID(PrefixEvent)
		if seen[id] {
			t.Fatalf("id %s made twice", id)
		}
		seen[id] = true
	}
}

// ValidID takes both alphabets: ids made before they sorted by time
// (a-z, 2-7) stay valid in URLs and cursors, and new ones (0-9, a-v) are
// valid; anything else of the right length is not.
func TestValidIDAcceptsOldAndNewIDs(t *testing.T) {
	old := "cs_" + RandomToken(20) // the old NewID
	if len(old) != 35 || !ValidID(PrefixSession, old) {
		t.Fatalf("an old-style id %q is refused", old)
	}
	for _, id := range []string{"cs_" + strings.Repeat("a", 32), "cs_" + strings.Repeat("7", 32), "cs_06h4fllfjlfs4sfemul96csdnu6durqn", "cs_06h4fsselo0tqctbrcboko6lemnhd2oj4d70",
		"cs_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"} {
		if !ValidID(PrefixSession, id) {
			t.Errorf("%q refused", id)
		}
	}
	for _, id := range []string{"cs_" + strings.Repeat("a", 31), "cs_" + strings.Repeat("a", 33), "cs_" + strings.Repeat("a", 35), "cs_" + strings.Repeat("a", 37), "cs_" + strings.Repeat("A", 32),
		"cs_" + strings.Repeat("a", 31) + "-", "pay_" + strings.Repeat("a", 32), "cs_" + strings.Repeat("a", 30) + "é"} {
		if ValidID(PrefixSession, id) {
			t.Errorf("%q accepted", id)
		}
	}
}

// An id never holds 12 digits in a row, even when its time part is all
// digits (the epoch: 9 zeros): filters that keep card numbers out of logs
// and provider fields drop such runs, and would drop the id with them.
func TestIDsNeverLookLikeCardNumbers(t *testing.T) {
	epoch := at(time.Unix(0, 0))
	for range 2000 {
		id := epoch.NewID(PrefixPayment)
		if n := longestDigitRun(id); n >= 12 {
			t.Fatalf("id %s has %d digits in a row", id, n)
		}
	}
	if longestDigitRun("ab123456789012cd") != 12 || longestDigitRun("a1b2") != 1 || longestDigitRun("") != 0 {
		t.Fatal("longestDigitRun miscounts")
	}
}
