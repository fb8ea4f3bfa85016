package wirekit

import (
	"encoding/json"
	"regexp"
	"testing"
)

func TestFlexString(t *testing.T) {
	var v struct{ A, B, C, D FlexString }
	if err := json.Unmarshal([]byte(`{"A":"05","B":7,"C":null,"D":1e2}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "05" || v.B != "7" || v.C != "" || v.D != "1e2" {
		t.Errorf("%+v", v)
	}
	if err := json.Unmarshal([]byte(`{"A":true}`), &v); err == nil {
		t.Error("a boolean was read as a string")
	}
}

func TestCleanCode(t *testing.T) {
	p := regexp.MustCompile(`^[A-Z_]{1,32}$`)
	for s, want := range map[string]string{"DO_NOT_HONOR": "DO_NOT_HONOR", "": "(none)", "4242424242424242": "(invalid)", "bad code": "(invalid)"} {
		if got := CleanCode(p, s, "(none)", "(invalid)"); got != want {
			t.Errorf("CleanCode(%q) = %q, want %q", s, got, want)
		}
	}
}
