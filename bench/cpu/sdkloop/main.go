// Command sdkloop is the CPU baseline of the official Go SDK used bare: its
// dytnsapi client's PhoneNumberEncrypt in the shared baseline loop (a worker pool
// paced by golang.org/x/time/rate), as a user's own script would.
//
//	go run ./bench/cpu/sdkloop -endpoint 127.0.0.1:18099 -in in.csv
package main

import (
	"log"
	"os"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/dytnsapi"

	"dytnsbatch/bench/cpu/baseline"
)

func main() {
	baseline.Main(func(endpoint string, _ int) func(string) bool {
		client, err := dytnsapi.NewClientWithAccessKey("cn-hangzhou", os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
		if err != nil {
			log.Fatal(err)
		}
		auth := os.Getenv("DYTNS_AUTH_CODE")
		return func(number string) bool {
			req := dytnsapi.CreatePhoneNumberEncryptRequest()
			req.Scheme = "http"
			req.Domain = endpoint
			req.AuthCode = auth
			req.InputNumber = number
			req.Mask = "NORMAL"
			resp, err := client.PhoneNumberEncrypt(req)
			return err == nil && resp.Code == "OK"
		}
	})
}
