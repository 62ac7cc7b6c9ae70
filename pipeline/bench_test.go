package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dytnsbatch/checkpoint"
	"dytnsbatch/dytns"
	"dytnsbatch/pipeline"
	"dytnsbatch/pipeline/pacer"
	"dytnsbatch/readers"
	"dytnsbatch/store"
	"dytnsbatch/writers"
)

// benchExpire is 72 h ahead, so that the result store keeps the answers.
var benchExpire = time.Now().Add(72 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format(store.ExpireLayout)

// instantAPI answers at once: the benchmark measures everything but the network.
type instantAPI struct{}

func (instantAPI) Encrypt(_ context.Context, req dytns.Request) (dytns.Response, error) {
	return dytns.Response{
		EncryptedNumber: "140" + req.Number[3:], ExpireTime: benchExpire,
		OutID: req.OutID, Code: "OK", Message: "OK", RequestID: "8B2F1E3A-3C4D-4E5F-8A9B-0C1D2E3F4A5B",
	}, nil
}

// BenchmarkPipelineCSV runs whole jobs, CSV → CSV with a checkpoint, against an
// in-process client with no limit. b.N is the number of rows; report rows/s.
func BenchmarkPipelineCSV(b *testing.B)  { benchPipeline(b, "csv", noStore) }
func BenchmarkPipelineXLSX(b *testing.B) { benchPipeline(b, "xlsx", noStore) }

// BenchmarkPipelineCSVStoreLookups is BenchmarkPipelineCSV with an embedded result
// store that holds other numbers only: every row is looked up in bbolt and missed;
// saves are dropped, so the difference to BenchmarkPipelineCSV is the lookups' cost.
func BenchmarkPipelineCSVStoreLookups(b *testing.B) { benchPipeline(b, "csv", lookupsOnly) }

// BenchmarkPipelineCSVColdStore is BenchmarkPipelineCSV with an empty embedded store,
// as on a first night: no lookup is needed, every answer is saved (and flushed before
// the benchmark ends). The difference is what writing the store costs.
func BenchmarkPipelineCSVColdStore(b *testing.B) { benchPipeline(b, "csv", coldStore) }

type storeMode int

const (
	noStore storeMode = iota
	lookupsOnly
	coldStore
)

// lookupOnly forwards lookups and drops saves.
type lookupOnly struct{ *store.Store }

func (lookupOnly) Save(string, store.Answer)     {}
func (lookupOnly) Backfill(string, store.Answer) {}

func benchPipeline(b *testing.B, format string, mode storeMode) {
	dir := b.TempDir()
	in := filepath.Join(dir, "in."+format)
	writeInput(b, in, b.N)
	out := filepath.Join(dir, "out."+format)
	// The store is opened before the clock starts, as encrypt opens it before the
	// first row; what is measured is its use.
	var st *store.Store
	if mode != noStore {
		opts := store.Options{Location: filepath.Join(dir, "store"), Identity: "bench", MinValidity: time.Hour}
		if mode == lookupsOnly {
			other, err := store.Open(opts)
			if err != nil {
				b.Fatal(err)
			}
			for i := range 10000 {
				other.Save(fmt.Sprintf("138%08d", i), store.Answer{EncryptedNumber: "14000000000", ExpireTime: benchExpire})
			}
			if err := other.Close(); err != nil {
				b.Fatal(err)
			}
		}
		var err error
		if st, err = store.Open(opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	src, err := readers.Open(in, readers.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	width := len(src.Header())
	header := append(append([]string{}, src.Header()...), pipeline.ResultColumns...)
	sink, err := writers.Create(out, header, writers.Options{BOM: true})
	if err != nil {
		b.Fatal(err)
	}
	cp, err := checkpoint.Open(out+".checkpoint", checkpoint.Meta{Fingerprint: "bench"}, true)
	if err != nil {
		b.Fatal(err)
	}
	defer cp.Close()
	cfg := pipeline.Config{
		Source: src, Width: width, Out: sink, Encrypter: instantAPI{},
		Pacer: pacer.New(pacer.Config{QPS: 0}), Recorder: cp, Salt: []byte("s"),
		Retries: 3, Dedupe: true,
	}
	switch mode {
	case lookupsOnly:
		cfg.Store = lookupOnly{st}
	case coldStore:
		cfg.Store = st
	}
	res := pipeline.Run(context.Background(), cfg)
	if res.Stop != pipeline.Completed || res.Rows != int64(b.N) {
		b.Fatalf("outcome %+v", res)
	}
	if err := sink.Close(nil); err != nil {
		b.Fatal(err)
	}
	if st != nil {
		if err := st.Close(); err != nil { // the queued answers are written
			b.Fatal(err)
		}
		if c := st.Counts(); (mode == coldStore && c.Saved != int64(b.N)) || c.Misses != int64(b.N) {
			b.Fatalf("store counts %+v for %d rows", c, b.N)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func writeInput(b *testing.B, path string, n int) {
	header := []string{"序号", "姓名", "手机号", "城市", "备注"}
	w, err := writers.Create(path, header, writers.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := w.WriteRow([]string{fmt.Sprint(i + 1), fmt.Sprintf("客户%d", i), fmt.Sprintf("139%08d", i), "杭州", "备注"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		b.Fatal(err)
	}
}
