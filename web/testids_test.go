package web_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README's data-testid table is checked against the templates, both
// ways, so that it cannot drift: every hook a page carries is documented,
// and every documented hook is on some page.

// hookPages are the templates whose data-testid hooks the README's table
// documents: the shopper pages and the demo shop (templates), and every
// provider sandbox's pages (providers/*/sandbox, providers/sandboxpage).
var hookPages = []string{"../templates", "../providers"}

// readmeHooksHeading is the README section holding the table.
const readmeHooksHeading = "### Test hooks for QA (`data-testid`)"

var (
	// A literal hook: data-testid="pay-button".
	literalHook = regexp.MustCompile(`^data-testid="([^"{}]+)"`)
	// A hook built from a prefix: data-testid={ "saved-card-" + sc.ID }.
	prefixHook = regexp.MustCompile(`^data-testid=\{\s*"([a-z0-9-]+-)"\s*\+[^}]*\}`)
	// A hook as the README writes it: pay-button, or saved-card-<id> for
	// the ids a prefix starts.
	tableHook = regexp.MustCompile(`^([a-z0-9-]+?)(<[^<>]+>)?$`)
	backticks = regexp.MustCompile("`([^`]*)`")
)

// placeholder is how a hook built from a prefix is compared: the README's
// saved-card-<id> and the template's "saved-card-" + sc.ID are both
// saved-card-<…>.
const placeholder = "<…>"

// templateHooks reads every data-testid of the .templ files under
// hookPages: literal ones as they are, "prefix-" + x as prefix-<…>. A hook
// it cannot read (a variable, say) is an error: the table could not be
// checked against it. It answers each hook with the files it is in.
func templateHooks(t *testing.T) map[string][]string {
	t.Helper()
	hooks := map[string][]string{}
	files := 0
	for _, root := range hookPages {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".templ") {
				return err
			}
			files++
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			s := string(src)
			for i := strings.Index(s, "data-testid"); i >= 0; i = next(s, i) {
				var id string
				if m := literalHook.FindStringSubmatch(s[i:]); m != nil {
					id = m[1]
				} else if m := prefixHook.FindStringSubmatch(s[i:]); m != nil {
					id = m[1] + placeholder
				} else {
					t.Errorf("%s:%d: a data-testid that is neither a literal nor \"prefix-\" + value: %.60q", path, 1+strings.Count(s[:i], "\n"), s[i:])
					continue
				}
				if !slices.Contains(hooks[id], path) {
					hooks[id] = append(hooks[id], path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 6 || len(hooks) < 50 {
		t.Fatalf("read %d hooks from %d templates under %v: the pages are not where this test looks", len(hooks), files, hookPages)
	}
	return hooks
}

func next(s string, i int) int {
	j := strings.Index(s[i+1:], "data-testid")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// readmeHooks reads the hooks of the README's table: the backticked words
// of every column but the first (the page), outside parentheses (which
// hold notes and examples: `data-status` values, `buy-mug`).
func readmeHooks(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n"+readmeHooksHeading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", readmeHooksHeading)
	}
	hooks := map[string]bool{}
	rows := 0
	for line := range strings.Lines(section) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if rows > 0 {
				break // the end of the table
			}
			continue
		}
		rows++
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if rows <= 2 || len(cells) < 2 { // the header and its rule
			continue
		}
		for _, cell := range cells[1:] {
			for _, m := range backticks.FindAllStringSubmatch(withoutNotes(cell), -1) {
				h := tableHook.FindStringSubmatch(m[1])
				if h == nil {
					t.Errorf("README hooks table: %q is not a hook (notes and examples go in parentheses)", m[1])
					continue
				}
				id := h[1]
				if h[2] != "" {
					id += placeholder
				}
				hooks[id] = true
			}
		}
	}
	if len(hooks) < 50 {
		t.Fatalf("read %d hooks from the README's table: it is not where this test looks", len(hooks))
	}
	return hooks
}

// withoutNotes is s without its parenthesised parts (nested ones too).
func withoutNotes(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestReadmeHooksTableMatchesTemplates: every data-testid of the pages'
// templates is in the README's "Test hooks for QA" table, and every hook
// of the table is on some page; a hook built from a prefix ("order-" +
// id) is written with a placeholder (order-<session id>).
func TestReadmeHooksTableMatchesTemplates(t *testing.T) {
	pages, table := templateHooks(t), readmeHooks(t)
	var undocumented, nowhere []string
	for id, files := range pages {
		if !table[id] {
			undocumented = append(undocumented, id+" ("+strings.Join(files, ", ")+")")
		}
	}
	for id := range table {
		if _, ok := pages[id]; !ok {
			nowhere = append(nowhere, id)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(nowhere)
	if len(undocumented) > 0 {
		t.Errorf("hooks on pages but not in README.md's table (%s):\n  %s", readmeHooksHeading, strings.Join(undocumented, "\n  "))
	}
	if len(nowhere) > 0 {
		t.Errorf("hooks in README.md's table that no template has:\n  %s", strings.Join(nowhere, "\n  "))
	}
}

// TestHookReadersFindDrift proves the readers see what the check relies
// on: prefixes, notes in parentheses, and a hook they cannot read.
func TestHookReadersFindDrift(t *testing.T) {
	if got := withoutNotes("`a` (its `b` is (`c`)) `d-<id>`"); got != "`a`  `d-<id>`" {
		t.Errorf("withoutNotes: %q", got)
	}
	for src, want := range map[string]string{
		`data-testid="pay-button" class="x"`:         "pay-button",
		`data-testid={ "saved-card-" + sc.ID } x={}`: "saved-card-",
	} {
		lit, pre := literalHook.FindStringSubmatch(src), prefixHook.FindStringSubmatch(src)
		switch {
		case lit != nil && lit[1] == want, pre != nil && pre[1] == want:
		default:
			t.Errorf("%s: read %v %v, want %q", src, lit, pre, want)
		}
	}
	if literalHook.MatchString(`data-testid={ testid }`) || prefixHook.MatchString(`data-testid={ testid }`) {
		t.Error("a hook from a variable is read as if it were known")
	}
	if h := tableHook.FindStringSubmatch("charge-again-<session id>"); h == nil || h[1] != "charge-again-" || h[2] == "" {
		t.Errorf("table placeholder: %v", h)
	}
}
