// Package baseline is the loop both CPU baselines share, as a user's own script
// would write it: the numbers of a bench/gen CSV (its third column), paced by
// golang.org/x/time/rate, each call in an errgroup of at most -workers, and a
// line with what came back. Only the call differs between the baselines.
package baseline

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"
)

// Main parses the flags, asks setup for the call to make (it reports whether the
// answer was OK), runs every number through it and prints the counts.
func Main(setup func(endpoint string, workers int) func(number string) bool) {
	endpoint := flag.String("endpoint", "127.0.0.1:18099", "host:port, plain HTTP")
	in := flag.String("in", "", "bench/gen CSV")
	qps := flag.Float64("qps", 1000, "calls per second")
	workers := flag.Int("workers", 200, "calls in flight at most")
	flag.Parse()
	nums, err := read(*in)
	if err != nil {
		log.Fatal(err)
	}
	call := setup(*endpoint, *workers)
	lim := rate.NewLimiter(rate.Limit(*qps), 1)
	var ok, failed atomic.Int64
	var g errgroup.Group
	g.SetLimit(*workers)
	for _, n := range nums {
		if err := lim.Wait(context.Background()); err != nil {
			log.Fatal(err)
		}
		g.Go(func() error {
			if call(n) {
				ok.Add(1)
			} else {
				failed.Add(1)
			}
			return nil
		})
	}
	_ = g.Wait()
	fmt.Printf("calls %d ok %d failed %d\n", len(nums), ok.Load(), failed.Load())
}

// read returns the third column of every row after the header.
func read(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	var out []string
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s row %d: %w", path, i+1, err)
		}
		if i > 0 && len(rec) > 2 {
			out = append(out, rec[2])
		}
	}
}
