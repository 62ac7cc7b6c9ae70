// Command handsigned is the CPU baseline a user could write instead of the SDK: a
// minimal net/http client that signs PhoneNumberEncrypt requests itself (RPC
// signature version 1), in the loop both baselines share (bench/cpu/baseline).
//
//	go run ./bench/cpu/handsigned -endpoint 127.0.0.1:18099 -in in.csv
package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"dytnsbatch/bench/cpu/baseline"
)

func main() {
	baseline.Main(func(endpoint string, workers int) func(string) bool {
		id, secret, auth := os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"), os.Getenv("DYTNS_AUTH_CODE")
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
		return func(number string) bool { return call(client, endpoint, id, secret, auth, number) }
	})
}

func call(client *http.Client, endpoint, id, secret, auth, number string) bool {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	p := map[string]string{
		"Action": "PhoneNumberEncrypt", "Version": "2020-02-17", "Format": "JSON",
		"AccessKeyId": id, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
		"SignatureNonce": hex.EncodeToString(nonce[:]), "Timestamp": time.Now().UTC().Format("2006-01-02T15:04:05Z"),
		"RegionId": "cn-hangzhou", "AuthCode": auth, "InputNumber": number, "Mask": "NORMAL",
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pct(k) + "=" + pct(p[k]))
	}
	canonical := b.String()
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte("GET&%2F&" + pct(canonical)))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	resp, err := client.Get("http://" + endpoint + "/?" + canonical + "&Signature=" + pct(sig))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body struct {
		Code string
		Data []struct{ EncryptedNumber string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return body.Code == "OK"
}

// rfc3986 turns url.QueryEscape's output into the encoding the signature wants:
// the three characters it treats differently.
var rfc3986 = strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~")

func pct(s string) string { return rfc3986.Replace(url.QueryEscape(s)) }
