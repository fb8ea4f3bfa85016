package playwright

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEGuideIsWhatCIRuns keeps the README's QA guide honest: its
// JavaScript and Go suites are, character for character, first.spec.mjs and
// first_test.go, which TestExampleSpec and TestFirstSuite run against the
// app (the Go file's package clause aside: a reader's suite has its own).
func TestREADMEGuideIsWhatCIRuns(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "## QA guide")
	if start < 0 {
		t.Fatal("the README has no QA guide section")
	}
	guide := string(readme[start:])
	guide = guide[:strings.Index(guide, "\n## ")+1]
	for _, c := range []struct{ file, fence string }{{"first.spec.mjs", "```js\n"}, {"first_test.go", "```go\n"}} {
		body, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		want := withoutPackage(string(body))
		var found bool
		for _, block := range blocks(guide, c.fence) {
			if withoutPackage(block) == want {
				found = true
			}
		}
		if !found {
			t.Errorf("the README's QA guide has no %s block equal to %s: copy the file into it", strings.Trim(c.fence, "`\n"), c.file)
		}
	}
}

// blocks returns the fenced code blocks that open with fence.
func blocks(text, fence string) []string {
	var out []string
	for {
		i := strings.Index(text, fence)
		if i < 0 {
			return out
		}
		text = text[i+len(fence):]
		j := strings.Index(text, "```\n")
		if j < 0 {
			return out
		}
		out = append(out, text[:j])
		text = text[j:]
	}
}

func withoutPackage(src string) string {
	if strings.HasPrefix(src, "package ") {
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			return src[i+1:]
		}
	}
	return src
}
