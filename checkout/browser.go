package checkout

import (
	"strings"
	"unicode/utf8"
)

// BrowserInfo is what 3-D Secure 2 needs to know about the shopper's
// browser. The page's script fills the screen, window, colour, timezone,
// language and Java/JavaScript values; the server adds User-Agent, Accept and
// the client IP from the request.
type BrowserInfo struct {
	UserAgent         string `json:"user_agent"`
	AcceptHeader      string `json:"accept_header"`
	IP                string `json:"ip"`
	Language          string `json:"language"`
	ColorDepth        int    `json:"color_depth"`
	ScreenWidth       int    `json:"screen_width"`
	ScreenHeight      int    `json:"screen_height"`
	InnerWidth        int    `json:"inner_width"`
	InnerHeight       int    `json:"inner_height"`
	TimezoneOffset    int    `json:"timezone_offset"` // minutes, as JS getTimezoneOffset: positive west of UTC
	JavaEnabled       bool   `json:"java_enabled"`
	JavaScriptEnabled bool   `json:"javascript_enabled"`
}

// validColorDepths are the values EMV 3DS accepts for browserColorDepth.
var validColorDepths = map[int]bool{1: true, 4: true, 8: true, 15: true, 16: true, 24: true, 30: true, 32: true, 48: true}

// Normalize bounds every field to what 3DS accepts, dropping values a
// tampered or odd browser sent instead of failing the payment over them.
func (b BrowserInfo) Normalize() BrowserInfo {
	clip := func(s string, n int) string {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, s)
		if len(s) > n {
			s = s[:n]
			// Never cut a character in two.
			for len(s) > 0 && !utf8.ValidString(s) {
				s = s[:len(s)-1]
			}
		}
		return strings.ToValidUTF8(s, "")
	}
	dim := func(v int) int {
		if v < 0 || v > 100000 {
			return 0
		}
		return v
	}
	b.UserAgent = clip(b.UserAgent, 2048)
	b.AcceptHeader = clip(b.AcceptHeader, 2048)
	b.IP = clip(b.IP, 45)
	b.Language = clip(b.Language, 35)
	if !validColorDepths[b.ColorDepth] {
		b.ColorDepth = 0
	}
	b.ScreenWidth, b.ScreenHeight = dim(b.ScreenWidth), dim(b.ScreenHeight)
	b.InnerWidth, b.InnerHeight = dim(b.InnerWidth), dim(b.InnerHeight)
	if b.TimezoneOffset < -840 || b.TimezoneOffset > 720 {
		b.TimezoneOffset = 0
	}
	return b
}

// WindowSize is an EMV 3DS challenge window size.
type WindowSize struct {
	Code   string // "01".."05"
	Width  int
	Height int
}

// Label is the "WxH" form providers such as Worldpay and Worldline use;
// "full-screen" for code 05.
func (w WindowSize) Label() string {
	if w.Code == "05" {
		return "full-screen"
	}
	return itoa(w.Width) + "x" + itoa(w.Height)
}

// ChallengeWindows are the EMV 3DS fixed challenge window sizes, smallest first.
var ChallengeWindows = []WindowSize{
	{"01", 250, 400},
	{"02", 390, 400},
	{"04", 600, 400},
	{"03", 500, 600},
}

// ChallengeWindowFor picks the largest fixed window that fits the shopper's
// inner window with a margin for our page chrome; 390x400 when unknown.
func ChallengeWindowFor(innerWidth, innerHeight int) WindowSize {
	if innerWidth <= 0 || innerHeight <= 0 {
		return ChallengeWindows[1]
	}
	best := ChallengeWindows[0]
	for _, w := range ChallengeWindows {
		if w.Width+32 <= innerWidth && w.Height+160 <= innerHeight && w.Width*w.Height >= best.Width*best.Height {
			best = w
		}
	}
	return best
}

// WindowSizeByCode returns the fixed size for an EMV code, or 390x400.
func WindowSizeByCode(code string) WindowSize {
	for _, w := range ChallengeWindows {
		if w.Code == code {
			return w
		}
	}
	return ChallengeWindows[1]
}
