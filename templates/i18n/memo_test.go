package i18n

import (
	"fmt"
	"testing"
)

// The memo keeps at most memoLimit answers, whatever the keys: a flood of
// distinct Accept-Language headers cannot grow it, and every answer,
// kept or not, is the function's.
func TestMemoIsBounded(t *testing.T) {
	var m memo[string]
	for i := range memoLimit + 100 {
		k := fmt.Sprint(i)
		if got := m.get(k, func() string { return "v" + k }); got != "v"+k {
			t.Fatalf("get(%s) = %s", k, got)
		}
	}
	kept := 0
	m.m.Range(func(any, any) bool { kept++; return true })
	if kept != memoLimit {
		t.Fatalf("the memo kept %d answers, want %d", kept, memoLimit)
	}
	if got := m.get("late", func() string { return "computed" }); got != "computed" {
		t.Fatalf("past the limit: %s", got)
	}
	// Resolve answers from the memo as it would without it.
	for _, h := range []string{"de-AT,de;q=0.9", "fr-CH, fr;q=0.9, en;q=0.8", "", "xx", "ar"} {
		if a, b := Resolve("", h), resolve("", h); a != b {
			t.Errorf("Resolve(%q) = %s, without the memo %s", h, a.Tag(), b.Tag())
		}
	}
}
