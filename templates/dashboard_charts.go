package templates

import (
	"strconv"
)

// The dashboard's charts are SVG drawn on the server: the geometry is
// worked out here, the template only writes it out. No script draws
// anything, and every chart comes with its figures as a table.

// Chart is one figure: an SVG of bars with its caption, a legend, and the
// figures it draws as a table (Head, Rows) for anyone who cannot see it.
type Chart struct {
	ID      string // the figure's id; its hook is "chart-" + ID
	Caption string
	ViewBox string
	Bars    []ChartBar
	Texts   []ChartText
	Legend  []ChartLegend
	Head    []string
	Rows    [][]string
}

// ChartBar is one bar: its box in the view box's units, its colour's class
// and its value as words (the bar's <title>).
type ChartBar struct {
	X, Y, W, H string
	Class      string
	Title      string
}

// ChartText is a label at a point; Anchor is start, middle or end.
type ChartText struct {
	X, Y, Text, Anchor string
}

// ChartLegend is one series' name and colour.
type ChartLegend struct {
	Class, Label string
}

// ChartSeries is one series of a chart: a value per category, and the
// value as it is written.
type ChartSeries struct {
	Label  string
	Class  string // bar-a, bar-b
	Values []int64
	Text   []string
}

// Chart sizes, in view box units.
const (
	chartWidth   = 640
	columnHeight = 160 // the tallest column
	columnTop    = 16
	labelWidth   = 170 // the category labels of a bar chart
	barRow       = 30  // a bar chart's row per category
	barMax       = 360 // the longest bar
)

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// scale is v's share of top times size (0 for no value, at least a
// sliver for any value above 0, so that it shows).
func scale(v, top int64, size float64) float64 {
	if v <= 0 || top <= 0 {
		return 0
	}
	return max(size*float64(v)/float64(top), 1.5)
}

func topOf(series []ChartSeries) int64 {
	var top int64
	for _, s := range series {
		for _, v := range s.Values {
			top = max(top, v)
		}
	}
	return top
}

// ColumnChart draws series as columns over categories (days), side by
// side in each category, labelled below.
func ColumnChart(id, caption string, categories []string, series ...ChartSeries) Chart {
	c := Chart{ID: id, Caption: caption, ViewBox: "0 0 " + strconv.Itoa(chartWidth) + " " + strconv.Itoa(columnTop+columnHeight+28)}
	top := topOf(series)
	group := float64(chartWidth) / float64(max(len(categories), 1))
	width := group * 0.7 / float64(max(len(series), 1))
	base := float64(columnTop + columnHeight)
	for i, cat := range categories {
		left := group*float64(i) + group*0.15
		for j, s := range series {
			h := scale(s.Values[i], top, columnHeight)
			c.Bars = append(c.Bars, ChartBar{X: num(left + width*float64(j)), Y: num(base - h), W: num(width), H: num(h),
				Class: s.Class, Title: cat + ": " + s.Label + " " + s.Text[i]})
		}
		c.Texts = append(c.Texts, ChartText{X: num(group*float64(i) + group/2), Y: num(base + 20), Text: cat, Anchor: "middle"})
	}
	c.Texts = append(c.Texts, ChartText{X: "0", Y: "12", Text: topText(series, top), Anchor: "start"})
	c.table(categories, series)
	return c
}

// BarChart draws series as horizontal bars, one row per category, each
// labelled with its value.
func BarChart(id, caption string, categories []string, series ...ChartSeries) Chart {
	rows := len(categories) * len(series)
	c := Chart{ID: id, Caption: caption, ViewBox: "0 0 " + strconv.Itoa(chartWidth) + " " + strconv.Itoa(max(rows, 1)*barRow+8)}
	top := topOf(series)
	for i, cat := range categories {
		for j, s := range series {
			y := float64((i*len(series)+j)*barRow + 4)
			w := scale(s.Values[i], top, barMax)
			c.Bars = append(c.Bars, ChartBar{X: num(labelWidth), Y: num(y), W: num(w), H: num(barRow - 8),
				Class: s.Class, Title: cat + ": " + s.Label + " " + s.Text[i]})
			c.Texts = append(c.Texts, ChartText{X: num(labelWidth + w + 6), Y: num(y + barRow/2 + 1), Text: s.Text[i], Anchor: "start"})
			if j == 0 {
				c.Texts = append(c.Texts, ChartText{X: num(labelWidth - 8), Y: num(y + barRow/2 + 1), Text: cat, Anchor: "end"})
			}
		}
	}
	c.table(categories, series)
	return c
}

// topText is the largest value's text: the scale of a column chart.
func topText(series []ChartSeries, top int64) string {
	for _, s := range series {
		for i, v := range s.Values {
			if v == top {
				return s.Text[i]
			}
		}
	}
	return ""
}

func (c *Chart) table(categories []string, series []ChartSeries) {
	c.Head = []string{""}
	for _, s := range series {
		c.Head = append(c.Head, s.Label)
		if len(series) > 1 {
			c.Legend = append(c.Legend, ChartLegend{Class: s.Class, Label: s.Label})
		}
	}
	for i, cat := range categories {
		row := []string{cat}
		for _, s := range series {
			row = append(row, s.Text[i])
		}
		c.Rows = append(c.Rows, row)
	}
}

// DashboardOverviewPage is the overview: the merchant's last days in
// charts and figures.
type DashboardOverviewPage struct {
	Page
	DashboardChrome
	// Volume is a figure and a chart per currency, the largest first.
	Volume []DashboardVolume
	// Conversion is "50 %" and its explanation; ConversionChart the
	// opened and paid sessions per day.
	Conversion, ConversionDetail string
	ConversionChart              Chart
	// Declines is nil without any declined payment.
	Declines *Chart
	// ChallengeRate is "25 %" and its explanation; ThreeDSChart the two
	// flows (nil without any 3-D Secure payment).
	ChallengeRate, ChallengeDetail string
	ThreeDSChart                   *Chart
	// Latency is nil without any provider call.
	Latency *Chart
}

// DashboardVolume is one currency's money: today, the week, by day.
type DashboardVolume struct {
	Currency    string
	Today, Week string
	Chart       Chart
}
