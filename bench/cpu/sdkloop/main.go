// Command sdkloop is the CPU baseline of the official Go SDK used bare: its
// dytnsapi client's PhoneNumberEncrypt in a worker pool paced by
// golang.org/x/time/rate, as a user's own script would. It reads the numbers from
// the third column of a bench/gen CSV and prints what it got.
//
//	go run ./bench/cpu/sdkloop -endpoint 127.0.0.1:18099 -in in.csv
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sync/atomic"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/dytnsapi"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"dytnsbatch/bench/cpu/numbers"
)

func main() {
	endpoint := flag.String("endpoint", "127.0.0.1:18099", "host:port, plain HTTP")
	in := flag.String("in", "", "bench/gen CSV")
	qps := flag.Float64("qps", 1000, "calls per second")
	workers := flag.Int("workers", 200, "calls in flight at most")
	flag.Parse()
	nums, err := numbers.Read(*in)
	if err != nil {
		log.Fatal(err)
	}
	client, err := dytnsapi.NewClientWithAccessKey("cn-hangzhou", os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	auth := os.Getenv("DYTNS_AUTH_CODE")
	lim := rate.NewLimiter(rate.Limit(*qps), 1)
	var ok, failed atomic.Int64
	var g errgroup.Group
	g.SetLimit(*workers)
	ctx := context.Background()
	for _, n := range nums {
		if err := lim.Wait(ctx); err != nil {
			log.Fatal(err)
		}
		g.Go(func() error {
			req := dytnsapi.CreatePhoneNumberEncryptRequest()
			req.Scheme = "http"
			req.Domain = *endpoint
			req.AuthCode = auth
			req.InputNumber = n
			req.Mask = "NORMAL"
			resp, err := client.PhoneNumberEncrypt(req)
			if err == nil && resp.Code == "OK" {
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
