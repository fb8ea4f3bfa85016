// Package i18n holds the shopper-facing message catalogs (one JSON file per
// locale in locales/, embedded at build time and read with go-i18n, which
// brings CLDR plural rules), the list of locales we ship, and the
// negotiation that picks one per request: the session's locale when the
// merchant set one, else the shopper's Accept-Language, else English,
// matched with golang.org/x/text/language against the shipped catalogs.
//
// Merchant-facing text (API errors, logs, webhooks) stays English and never
// goes through here.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.json
var files embed.FS

// Source is the locale the catalogs are translated from.
const Source = "en"

// Pseudo is the pseudo-locale QA selects with locale "en-XA": English
// accented, about 40% longer and bracketed, built from the source catalog,
// so text that did not go through a catalog stands out.
const Pseudo = "en-XA"

// Auto asks for the shopper's Accept-Language.
const Auto = "auto"

// Shipped lists the locales with a catalog (a file in locales/), the source
// first, then by tag. Every one is complete: the same keys, placeholders
// and plural forms as the source (the catalog tests say so).
var Shipped = func() []string {
	entries, err := files.ReadDir("locales")
	if err != nil {
		panic(err)
	}
	out := []string{Source}
	for _, e := range entries {
		if name := strings.TrimSuffix(e.Name(), ".json"); name != Source {
			out = append(out, name)
		}
	}
	sort.Strings(out[1:])
	return out
}()

// rtl are the shipped languages written right to left.
var rtl = map[string]bool{"ar": true, "he": true, "fa": true, "ur": true}

// Locale is one shipped catalog: its tag, its direction and a translator.
// A nil *Locale is English.
type Locale struct {
	tag string
	dir string
	loc *goi18n.Localizer
	// plain keeps the messages asked for without arguments: the catalogs
	// never change while the process runs, and a page asks for dozens.
	plain sync.Map // message id -> string
}

// Tag is the BCP 47 tag of the catalog (what <html lang> says).
func (l *Locale) Tag() string { return l.get().tag }

// ProviderTag is the tag to hand a provider's language fields so that its
// own pages (3-D Secure, wallet cashier, add-card) match ours: the
// catalog's tag, except the pseudo-locale, which no provider knows and
// which is English underneath.
func (l *Locale) ProviderTag() string {
	if t := l.Tag(); t != Pseudo {
		return t
	}
	return "en"
}

// Dir is "rtl" or "ltr" (what <html dir> says).
func (l *Locale) Dir() string { return l.get().dir }

// Language is the tag's base language ("zh" for zh-Hant-HK), for provider
// fields and number formatting.
func (l *Locale) Language() string {
	b, _ := language.Make(l.get().tag).Base()
	return b.String()
}

func (l *Locale) get() *Locale {
	if l == nil {
		return English()
	}
	return l
}

// T is the message id in this locale. args are name/value pairs for the
// message's placeholders ({{.Name}}); a string value is bidi-isolated
// (U+2068 … U+2069), as merchant names, amounts and references must be
// inside a sentence of another direction.
func (l *Locale) T(id string, args ...any) string {
	l = l.get()
	if len(args) > 0 {
		return l.localize(id, nil, args)
	}
	if v, ok := l.plain.Load(id); ok {
		return v.(string)
	}
	out := l.localize(id, nil, nil)
	l.plain.Store(id, out)
	return out
}

// N is the message id in the plural form its language uses for n (CLDR
// rules); the placeholder {{.Count}} is n.
func (l *Locale) N(id string, n int, args ...any) string {
	return l.get().localize(id, n, append([]any{"Count", n}, args...))
}

func (l *Locale) localize(id string, count any, args []any) string {
	data := make(map[string]any, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		k, _ := args[i].(string)
		if s, ok := args[i+1].(string); ok {
			data[k] = "\u2068" + s + "\u2069"
		} else {
			data[k] = args[i+1]
		}
	}
	out, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil && out == "" {
		// A missing key is caught by the catalog tests; never show a blank.
		return id
	}
	return out
}

var (
	once    sync.Once
	bundle  *goi18n.Bundle
	locales map[string]*Locale
	matcher language.Matcher
	loadErr error
)

func load() {
	bundle = goi18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	locales = map[string]*Locale{}
	var tags []language.Tag
	for _, name := range Shipped {
		if _, err := bundle.LoadMessageFileFS(files, path.Join("locales", name+".json")); err != nil {
			loadErr = fmt.Errorf("i18n: catalog %s: %w", name, err)
			return
		}
		tags = append(tags, language.MustParse(name))
	}
	src, err := Catalog(Source)
	if err != nil {
		loadErr = err
		return
	}
	var pseudo []*goi18n.Message
	for _, id := range src.IDs() {
		m := src[id]
		pm := &goi18n.Message{ID: id}
		for form, text := range m.Forms {
			p := Pseudolocalize(text)
			switch form {
			case "zero":
				pm.Zero = p
			case "one":
				pm.One = p
			case "two":
				pm.Two = p
			case "few":
				pm.Few = p
			case "many":
				pm.Many = p
			case "other":
				pm.Other = p
			}
		}
		pseudo = append(pseudo, pm)
	}
	if err := bundle.AddMessages(language.MustParse(Pseudo), pseudo...); err != nil {
		loadErr = err
		return
	}
	for _, name := range append(append([]string{}, Shipped...), Pseudo) {
		dir := "ltr"
		if rtl[name] {
			dir = "rtl"
		}
		locales[name] = &Locale{tag: name, dir: dir, loc: goi18n.NewLocalizer(bundle, name)}
	}
	matcher = language.NewMatcher(tags)
}

// Check loads the catalogs once and says whether they are usable; the
// server refuses to start otherwise.
func Check() error {
	once.Do(load)
	return loadErr
}

// Get is the shipped locale named exactly tag (or the pseudo-locale), or
// nil and false.
func Get(tag string) (*Locale, bool) {
	if Check() != nil {
		return nil, false
	}
	l, ok := locales[tag]
	return l, ok
}

// English is the source locale.
func English() *Locale {
	l, ok := Get(Source)
	if !ok {
		// The embedded catalogs are tested; a broken build has no page.
		panic(fmt.Sprintf("i18n: %v", Check()))
	}
	return l
}

// Match is the shipped locale closest to tag by language and script
// (de-AT → de, zh-HK → zh-Hant-HK, zh-SG → zh-Hans, pt → pt-BR), or
// false when no shipped language is close enough. "en-XA" is the
// pseudo-locale.
func Match(tag string) (*Locale, bool) {
	if l, ok := Get(tag); ok {
		return l, true
	}
	t, err := language.Parse(tag)
	if err != nil {
		return nil, false
	}
	return match(t)
}

func match(tags ...language.Tag) (*Locale, bool) {
	if Check() != nil || len(tags) == 0 {
		return nil, false
	}
	_, i, conf := matcher.Match(tags...)
	if conf < language.High {
		// Low means another language altogether: never show, say, Danish
		// to a shopper who asked for Norwegian Nynorsk only when No
		// match would do; High and Exact keep language and script.
		return nil, false
	}
	return locales[Shipped[i]], true
}

// Resolve picks the page's locale: the session's own (a shipped locale, or
// the closest by language and script), or, when the session says "auto" or
// nothing, the best of the shopper's Accept-Language, else English.
func Resolve(sessionLocale, acceptLanguage string) *Locale {
	if len(acceptLanguage) > 512 {
		acceptLanguage = acceptLanguage[:512]
	}
	return resolved.get(sessionLocale+"\x00"+acceptLanguage, func() *Locale { return resolve(sessionLocale, acceptLanguage) })
}

// resolved keeps Resolve's answers: browsers send few distinct
// Accept-Language headers, and parsing and matching one costs more than
// the rest of picking the page's messages.
var resolved memo[*Locale]

// memo is a bounded memo of a pure function of a string: at most
// memoLimit answers are kept, later ones are computed every time.
type memo[V any] struct {
	m sync.Map
	n atomic.Int32
}

const memoLimit = 4096

func (c *memo[V]) get(key string, compute func() V) V {
	if v, ok := c.m.Load(key); ok {
		return v.(V)
	}
	v := compute()
	if c.n.Add(1) <= memoLimit {
		c.m.Store(key, v)
	}
	return v
}

// FormatTag is the locale amounts are formatted in on a page in l for a
// session whose locale is sessionLocale: l's tag, or the session's own
// when it is a regional variant of l's language that a catalog matches
// (de-AT groups digits as Austrians do); the source tag for the
// pseudo-locale.
func FormatTag(l *Locale, sessionLocale string) string {
	l = l.get()
	if l.Tag() == Pseudo {
		return Source
	}
	return formatTags.get(l.Tag()+"\x00"+sessionLocale, func() string {
		if t, err := language.Parse(sessionLocale); err == nil {
			if b, _ := t.Base(); b.String() == l.Language() {
				if _, ok := Match(sessionLocale); ok {
					return sessionLocale
				}
			}
		}
		return l.Tag()
	})
}

var formatTags memo[string]

func resolve(sessionLocale, acceptLanguage string) *Locale {
	if sessionLocale != "" && sessionLocale != Auto {
		if l, ok := Match(sessionLocale); ok {
			return l
		}
		return English()
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	// The pseudo-locale (and its right-to-left twin) only on request,
	// never from a browser.
	real := tags[:0]
	for _, t := range tags {
		if r, _ := t.Region(); r.String() != "XA" && r.String() != "XB" {
			real = append(real, t)
		}
	}
	if err == nil && len(real) > 0 {
		if l, ok := match(real...); ok {
			return l
		}
	}
	return English()
}

// Message is one catalog entry: its text per plural form ("other" for a
// message without plurals) and, in the source, a note for translators.
type Message struct {
	Description string
	Forms       map[string]string
}

// Messages is a catalog, by message id.
type Messages map[string]Message

// IDs lists the catalog's ids, sorted.
func (m Messages) IDs() []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

var pluralKeys = map[string]bool{"zero": true, "one": true, "two": true, "few": true, "many": true, "other": true}

// Catalog reads the shipped catalog of tag as written in its file, for the
// completeness tests and the pseudo-locale.
func Catalog(tag string) (Messages, error) {
	b, err := files.ReadFile(path.Join("locales", tag+".json"))
	if err != nil {
		return nil, fmt.Errorf("i18n: no catalog %s", tag)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("i18n: catalog %s: %w", tag, err)
	}
	out := Messages{}
	for id, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[id] = Message{Forms: map[string]string{"other": s}}
			continue
		}
		var obj map[string]string
		if err := json.Unmarshal(v, &obj); err != nil {
			return nil, fmt.Errorf("i18n: catalog %s: message %s: %w", tag, id, err)
		}
		m := Message{Description: obj["description"], Forms: map[string]string{}}
		for k, text := range obj {
			switch {
			case pluralKeys[k]:
				m.Forms[k] = text
			case k == "description" || k == "hash":
			default:
				return nil, fmt.Errorf("i18n: catalog %s: message %s: unknown key %q", tag, id, k)
			}
		}
		out[id] = m
	}
	return out, nil
}

// Pseudolocalize turns English into the pseudo-locale: letters accented,
// about 40% longer, in brackets; {{.Placeholders}} untouched.
func Pseudolocalize(s string) string {
	var b strings.Builder
	b.WriteString("[")
	letters := 0
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "{{") {
			j := strings.Index(s[i:], "}}")
			if j < 0 {
				b.WriteString(s[i:])
				break
			}
			b.WriteString(s[i : i+j+2])
			i += j + 2
			continue
		}
		r := rune(s[i])
		size := 1
		if r >= 0x80 {
			for _, rr := range s[i:] {
				r = rr
				break
			}
			size = len(string(r))
		}
		if a, ok := accents[r]; ok {
			b.WriteRune(a)
			letters++
		} else {
			b.WriteRune(r)
			if r != ' ' {
				letters++
			}
		}
		i += size
	}
	// About 40% longer: translations into German or Finnish are.
	if pad := (letters*2 + 4) / 5; pad > 0 {
		b.WriteString(" ")
		b.WriteString(strings.Repeat("·", pad))
	}
	b.WriteString("]")
	return b.String()
}

var accents = func() map[rune]rune {
	from := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	to := "àƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
	m := map[rune]rune{}
	tr := []rune(to)
	for i, r := range from {
		m[r] = tr[i]
	}
	return m
}()

// PluralError says whether message id has, in this locale, the plural form its
// language uses for n (nil when it has).
func (l *Locale) PluralError(id string, n int) error {
	l = l.get()
	_, err := l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: n,
		TemplateData: map[string]any{"Count": n}})
	return err
}
