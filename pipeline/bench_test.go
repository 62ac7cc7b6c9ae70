package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"dytnsbatch/checkpoint"
	"dytnsbatch/dytns"
	"dytnsbatch/pipeline"
	"dytnsbatch/pipeline/pacer"
	"dytnsbatch/readers"
	"dytnsbatch/writers"
)

// instantAPI answers at once: the benchmark measures everything but the network.
type instantAPI struct{}

func (instantAPI) Encrypt(_ context.Context, req dytns.Request) (dytns.Response, error) {
	return dytns.Response{
		EncryptedNumber: "140" + req.Number[3:], ExpireTime: "2026-11-30 12:00:00",
		OutID: req.OutID, Code: "OK", Message: "OK", RequestID: "8B2F1E3A-3C4D-4E5F-8A9B-0C1D2E3F4A5B",
	}, nil
}

// BenchmarkPipelineCSV runs whole jobs, CSV → CSV with a checkpoint, against an
// in-process client with no limit. b.N is the number of rows; report rows/s.
func BenchmarkPipelineCSV(b *testing.B)  { benchPipeline(b, "csv") }
func BenchmarkPipelineXLSX(b *testing.B) { benchPipeline(b, "xlsx") }

func benchPipeline(b *testing.B, format string) {
	dir := b.TempDir()
	in := filepath.Join(dir, "in."+format)
	writeInput(b, in, b.N)
	out := filepath.Join(dir, "out."+format)
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
	res := pipeline.Run(context.Background(), pipeline.Config{
		Source: src, Width: width, Out: sink, Encrypter: instantAPI{},
		Pacer: pacer.New(pacer.Config{QPS: 0}), Recorder: cp, Salt: []byte("s"),
		Retries: 3, Dedupe: true,
	})
	if res.Stop != pipeline.Completed || res.Rows != int64(b.N) {
		b.Fatalf("outcome %+v", res)
	}
	if err := sink.Close(nil); err != nil {
		b.Fatal(err)
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
