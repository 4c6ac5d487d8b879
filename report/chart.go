package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"doraflow"
	"doraflow/metrics"
)

// chart is an SVG chart of one value per week, laid out here so that the
// template only places the elements. Coordinates are in SVG user units.
type chart struct {
	Title, Caption string
	// Empty, when not "", is said instead of drawing the chart.
	Empty string
	// Grid holds the horizontal grid lines (Y) and their labels.
	Grid []tick
	// XLabels label the weeks along the bottom (X).
	XLabels []tick
	Bars    []bar
	Lines   []line
	Legend  []legendItem
}

// Chart geometry: the plot area inside the SVG's viewBox.
const (
	chartWidth  = 560.0
	chartHeight = 220.0
	plotLeft    = 56.0
	plotRight   = chartWidth - 12
	plotTop     = 12.0
	plotBottom  = chartHeight - 30
)

// geometry hands the chart geometry to the template.
type geometry struct{ Width, Height, PlotLeft, PlotRight, PlotBottom float64 }

var layout = geometry{chartWidth, chartHeight, plotLeft, plotRight, plotBottom}

// tick is a labelled position on an axis.
type tick struct {
	X, Y  float64
	Label string
}

// bar is one rectangle, with the tooltip its title gives.
type bar struct {
	X, Y, W, H   float64
	Class, Title string
}

// line is a series: an SVG path, broken where a week has no value, and a
// dot with a tooltip per value.
type line struct {
	Class, Path string
	Points      []point
}

type point struct {
	X, Y  float64
	Title string
}

type legendItem struct{ Class, Label string }

// weekly is the x axis of the trend charts: every week that overlaps the
// window, with its row if anything happened in it.
type weekly struct {
	starts []doraflow.Date
	rows   []*metrics.Row // nil for a week with nothing in it
}

// newWeekly lines up rows (one per week with anything in it) with every
// week from the one holding first to the one holding last.
func newWeekly(first, last doraflow.Date, rows []metrics.Row) weekly {
	byStart := map[doraflow.Date]*metrics.Row{}
	for i := range rows {
		if rows[i].PeriodStart != nil {
			byStart[*rows[i].PeriodStart] = &rows[i]
		}
	}
	var w weekly
	for d := first.Monday(); !last.Before(d); d = d.AddDays(7) {
		w.starts = append(w.starts, d)
		w.rows = append(w.rows, byStart[d])
	}
	return w
}

// x returns the centre of week i and the width of a week's band.
func (w weekly) x(i int) (centre, band float64) {
	band = (plotRight - plotLeft) / float64(len(w.starts))
	return plotLeft + band*(float64(i)+0.5), band
}

// labels returns the week labels, thinned so that they do not overlap.
func (w weekly) labels() []tick {
	every := (len(w.starts) + 6) / 7
	var out []tick
	for i, d := range w.starts {
		if i%every == 0 {
			c, _ := w.x(i)
			out = append(out, tick{X: c, Y: plotBottom + 18, Label: shortDate(d)})
		}
	}
	return out
}

// kind is what a chart's values are, for its axis.
type kind int

const (
	count kind = iota
	ratio
	seconds
)

// scale maps values of one kind onto the plot's height.
type scale struct {
	kind
	top   float64 // the value at the top of the plot
	step  float64 // between grid lines
	unit  float64 // seconds per unit of the labels
	units string
}

// newScale returns a scale from 0 to a round value at or above max, with
// about four grid lines at round steps (1, 2 or 5 times a power of ten of
// the labels' unit).
func newScale(k kind, max float64) scale {
	s := scale{kind: k, unit: 1}
	switch k {
	case ratio:
		s.unit, s.units = 0.01, "%"
	case seconds:
		switch {
		case max < 2*3600:
			s.unit, s.units = 60, "m"
		case max < 3*86400:
			s.unit, s.units = 3600, "h"
		default:
			s.unit, s.units = 86400, "d"
		}
	}
	v := max / s.unit
	if v <= 0 {
		v = 1
	}
	s.step = niceStep(v / 4)
	if k == count && s.step < 1 {
		s.step = 1 // whole deployments
	}
	s.top = math.Ceil(v/s.step) * s.step
	return s
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	switch f := x / p; {
	case f <= 1:
		return p
	case f <= 2:
		return 2 * p
	case f <= 5:
		return 5 * p
	}
	return 10 * p
}

// y returns the vertical position of value v.
func (s scale) y(v float64) float64 {
	return plotBottom - (v/s.unit)/s.top*(plotBottom-plotTop)
}

// grid returns the grid lines with their labels.
func (s scale) grid() []tick {
	var out []tick
	for v := 0.0; v <= s.top+s.step/2; v += s.step {
		out = append(out, tick{Y: plotBottom - v/s.top*(plotBottom-plotTop), Label: strconv.FormatFloat(v, 'f', -1, 64) + s.units})
	}
	return out
}

// format prints a value for a tooltip.
func (s scale) format(v float64) string {
	switch s.kind {
	case ratio:
		return metrics.Percent(&v)
	case seconds:
		return metrics.Seconds(&v)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// series names one value of a week's row, for a chart.
type series struct {
	label, class string
	value        func(*metrics.Row) *float64
}

// lineChart draws one line per series, skipping weeks without a value.
func lineChart(w weekly, title, caption, empty string, k kind, ss []series) chart {
	c := chart{Title: title, Caption: caption, XLabels: w.labels()}
	max, any := 0.0, false
	for _, s := range ss {
		c.Legend = append(c.Legend, legendItem{Class: s.class, Label: s.label})
		for _, r := range w.rows {
			if r == nil {
				continue
			}
			if v := s.value(r); v != nil {
				max, any = math.Max(max, *v), true
			}
		}
	}
	if !any {
		c.Empty = empty
		return c
	}
	sc := newScale(k, max)
	c.Grid = sc.grid()
	for _, s := range ss {
		l := line{Class: s.class}
		var path strings.Builder
		pen := "M"
		for i, r := range w.rows {
			var v *float64
			if r != nil {
				v = s.value(r)
			}
			if v == nil {
				pen = "M" // a gap: the next value starts a new segment
				continue
			}
			x, y := w.x(i)
			y = sc.y(*v)
			fmt.Fprintf(&path, "%s%s %s ", pen, num(x), num(y))
			pen = "L"
			l.Points = append(l.Points, point{X: x, Y: y, Title: fmt.Sprintf("%s, week of %s: %s", s.label, shortDate(w.starts[i]), sc.format(*v))})
		}
		l.Path = strings.TrimSpace(path.String())
		c.Lines = append(c.Lines, l)
	}
	return c
}

// deploymentsChart draws a bar per week for the deployments, and inside
// it a narrower bar for those that failed.
func deploymentsChart(w weekly) chart {
	c := chart{
		Title:   "Deployments per week",
		Caption: "Bars: deployments; inside them in red: failed deployments (caused an incident).",
		XLabels: w.labels(),
		Legend:  []legendItem{{"deployments", "Deployments"}, {"failed", "Failed"}},
	}
	max := 0.0
	for _, r := range w.rows {
		if r != nil {
			max = math.Max(max, float64(r.Deployments))
		}
	}
	if max == 0 {
		c.Empty = "No deployments in this window."
		return c
	}
	sc := newScale(count, max)
	c.Grid = sc.grid()
	for i, r := range w.rows {
		if r == nil || r.Deployments == 0 {
			continue
		}
		x, band := w.x(i)
		for _, b := range []struct {
			n     int64
			width float64
			class string
			what  string
		}{{r.Deployments, band * 0.6, "deployments", "deployments"}, {r.FailedDeployments, band * 0.3, "failed", "failed deployments"}} {
			if b.n == 0 {
				continue
			}
			y := sc.y(float64(b.n))
			c.Bars = append(c.Bars, bar{X: x - b.width/2, Y: y, W: b.width, H: plotBottom - y, Class: b.class,
				Title: fmt.Sprintf("Week of %s: %d %s", shortDate(w.starts[i]), b.n, b.what)})
		}
	}
	return c
}

// charts returns the trend charts of d.
func charts(d *Data) []chart {
	loc := d.Location
	w := newWeekly(doraflow.DateOf(d.From, loc), doraflow.DateOf(d.To.Add(-1), loc), d.Weeks)
	return []chart{
		deploymentsChart(w),
		lineChart(w, "Lead time for changes per week", "Median and 90th percentile lead time of the changes first deployed each week.",
			"No changes were deployed in this window.", seconds, []series{
				{"Median", "p50", func(r *metrics.Row) *float64 { return r.LeadTimeMedian }},
				{"90th percentile", "p90", func(r *metrics.Row) *float64 { return r.LeadTimeP90 }},
			}),
		lineChart(w, "Change failure rate and rework rate per week", "Share of each week's deployments that caused an incident, and that shipped rework.",
			"No deployments in this window.", ratio, []series{
				{"Change failure rate", "cfr", func(r *metrics.Row) *float64 { return r.ChangeFailureRate }},
				{"Rework rate", "rework", func(r *metrics.Row) *float64 { return r.ReworkRate }},
			}),
		lineChart(w, "Time to restore per week", "Median and 90th percentile time to restore of the incidents resolved each week.",
			"No incident was resolved in this window.", seconds, []series{
				{"Median", "p50", func(r *metrics.Row) *float64 { return r.TimeToRestoreMedian }},
				{"90th percentile", "p90", func(r *metrics.Row) *float64 { return r.TimeToRestoreP90 }},
			}),
	}
}

// num prints an SVG coordinate with one decimal, enough on a 560-unit
// chart and stable across platforms.
func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
