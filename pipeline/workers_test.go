package pipeline

import (
	"math"
	"testing"
	"time"
)

func TestWorkersToAdd(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		name               string
		latency            time.Duration
		rate               float64
		gateLimit, current int
		maxWorkers, want   int
	}{
		{"no latency observed yet", 0, 100, 0, 32, 1024, 0},
		// 100/s × 0.5 s = 50 in flight; ×1.5 + 8 = 83.
		{"little's law with headroom", 500 * ms, 100, 0, 32, 1024, 51},
		{"enough already", 500 * ms, 100, 0, 83, 1024, 0},
		{"never shrinks", 100 * ms, 10, 0, 200, 1024, 0},
		// 1000/s × 0.2 s × 1.5 = 300 exactly; ceil keeps it, + 8.
		{"ceil of an exact product", 200 * ms, 1000, 0, 0, 1024, 308},
		{"fraction rounds up", 10 * ms, 1, 0, 0, 1024, 9},
		{"capped by max", 2 * time.Second, 1000, 0, 100, 1024, 924},
		{"at the cap", 2 * time.Second, 1000, 0, 1024, 1024, 0},
		// No rate: the gate's limit is the target, whatever the latency.
		{"gate limit", 300 * ms, math.Inf(1), 40, 32, 64, 8},
		{"gate limit below the pool", 300 * ms, math.Inf(1), 10, 32, 64, 0},
		{"gate limit capped by max", 300 * ms, math.Inf(1), 64, 32, 48, 16},
	} {
		got := workersToAdd(c.latency, c.rate, c.gateLimit, c.current, c.maxWorkers)
		if got != c.want {
			t.Errorf("%s: workersToAdd(%v, %v, gate %d, %d, max %d) = %d, want %d",
				c.name, c.latency, c.rate, c.gateLimit, c.current, c.maxWorkers, got, c.want)
		}
	}
}

func TestStartingWorkers(t *testing.T) {
	for _, c := range []struct {
		name                string
		workers, maxWorkers int
		rate                float64
		want                int
	}{
		{"fixed count", 5, 5, 1000, 5},
		{"no rate", 0, 1024, math.Inf(1), initialWorkers},
		{"qps 0 reported as zero", 0, 1024, 0, initialWorkers},
		{"low rate keeps the floor", 0, 1024, 50, initialWorkers},
		{"rate × 100 ms", 0, 1024, 2000, 200},
		{"capped by max", 0, 16, 2000, 16},
	} {
		if got := startingWorkers(c.workers, c.maxWorkers, c.rate); got != c.want {
			t.Errorf("%s: startingWorkers(%d, %d, %v) = %d, want %d", c.name, c.workers, c.maxWorkers, c.rate, got, c.want)
		}
	}
}

func TestWorkerCap(t *testing.T) {
	for _, c := range []struct{ workers, maxWorkers, want int }{
		{0, 0, defaultMaxWorkers},
		{0, 100, 100},
		{8, 100, 8}, // a fixed count is its own cap, even below max
		{200, 100, 200},
	} {
		if got := workerCap(c.workers, c.maxWorkers); got != c.want {
			t.Errorf("workerCap(%d, %d) = %d, want %d", c.workers, c.maxWorkers, got, c.want)
		}
	}
}
