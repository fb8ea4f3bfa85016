package templates

import (
	"strconv"
	"strings"
)

// qrPath is the SVG path of a QR code's dark modules: one "M x y h1 v1 h-1 z"
// square each, in module units (the viewBox is the code's size).
func qrPath(modules [][]bool) string {
	var b strings.Builder
	for y, row := range modules {
		for x, dark := range row {
			if dark {
				b.WriteString("M" + strconv.Itoa(x) + " " + strconv.Itoa(y) + "h1v1h-1z")
			}
		}
	}
	return b.String()
}
