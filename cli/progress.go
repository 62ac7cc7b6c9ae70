package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"dytnsbatch/pipeline"
	"dytnsbatch/pipeline/pacer"
)

// startProgress renders the run's counters on w until the returned stop is called:
// a bar when w is a terminal (or --progress bar), one status line per interval
// otherwise, fit for cron logs (progressbar itself does no terminal detection and would
// fill a log with \r frames).
func startProgress(mode string, interval time.Duration, stats *pipeline.Stats, p *pacer.Pacer, w io.Writer) (stop func()) {
	if mode == "auto" {
		mode = "log"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	if mode == "none" {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	if mode == "bar" {
		go func() { defer wg.Done(); renderBar(stats, p, w, done) }()
	} else {
		if interval <= 0 {
			interval = 10 * time.Second
		}
		go func() { defer wg.Done(); renderLog(stats, p, w, interval, done) }()
	}
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

func renderBar(stats *pipeline.Stats, p *pacer.Pacer, w io.Writer, done <-chan struct{}) {
	total := stats.Snapshot().TotalRows
	if total <= 0 {
		total = -1 // unknown: a spinner with counts
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		s := stats.Snapshot()
		bar.Describe(fmt.Sprintf("not OK %d · throttled %d · limit %s", s.RowsFailed, s.Throttled, rateLabel(p)))
		_ = bar.Set64(s.RowsDone)
		select {
		case <-tick.C:
		case <-done:
			_ = bar.Finish()
			return
		}
	}
}

func renderLog(stats *pipeline.Stats, p *pacer.Pacer, w io.Writer, interval time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var lastRows int64
	last := time.Now()
	for {
		select {
		case <-tick.C:
		case <-done:
			return
		}
		s := stats.Snapshot()
		now := time.Now()
		rate := float64(s.RowsDone-lastRows) / now.Sub(last).Seconds()
		lastRows, last = s.RowsDone, now
		fmt.Fprintln(w, statusLine(s, rate, rateLabel(p)))
	}
}

// statusLine is one progress line: done/total, rate, errors, effective limit, ETA.
func statusLine(s pipeline.Snapshot, rate float64, limit string) string {
	done := fmt.Sprintf("%d rows", s.RowsDone)
	eta := ""
	if s.TotalRows > 0 {
		pct := 100 * float64(s.RowsDone) / float64(s.TotalRows)
		done = fmt.Sprintf("%d/~%d rows (%.1f%%)", s.RowsDone, s.TotalRows, min(pct, 100))
		if rate > 0 && s.TotalRows > s.RowsDone {
			eta = ", ETA " + (time.Duration(float64(s.TotalRows-s.RowsDone)/rate) * time.Second).Round(time.Second).String()
		}
	}
	return fmt.Sprintf("dytnsbatch: %s, %.0f rows/s, not OK %d, calls %d, throttled %d, in flight %d, limit %s%s",
		done, rate, s.RowsFailed, s.Calls, s.Throttled, s.InFlight, limit, eta)
}

func rateLabel(p *pacer.Pacer) string {
	r := p.Rate()
	if r <= 0 || r > 1e9 {
		return "none"
	}
	label := fmt.Sprintf("%.0f/s", r)
	if st := p.State(); st != pacer.Running {
		label += " (" + st.String() + ")"
	}
	return label
}
