// Package dytns calls Dytnsapi PhoneNumberEncrypt through the official V1 Go SDK,
// behind the small Encrypter interface, and classifies failures by what the caller
// should do about them.
package dytns

import "context"

// Request is one PhoneNumberEncrypt call.
type Request struct {
	Number string // the 11-digit mainland mobile number, already normalised
	OutID  string // at most 64 characters; sent as OutId and echoed back
}

// Response is a successful answer: Code "OK" and one Data item.
type Response struct {
	EncryptedNumber string
	ExpireTime      string // yyyy-MM-dd HH:mm:ss, Beijing time, as the service sent it
	OutID           string // as the service echoed it ("" if it did not echo one)
	Code            string
	Message         string
	RequestID       string
}

// Encrypter encrypts one number. Implementations are safe for concurrent use.
//
// A nil error means the service answered Code "OK" with an encrypted number. Any
// failure (transport, gateway, business code in a 200 body, garbled body, SDK panic)
// is returned as a non-nil error that Classify understands, normally an *Error. The
// Encrypter does not retry: the caller owns retries, so that every attempt passes
// through its rate limiter.
//
// ctx is checked before the call starts; a call that has started runs to its timeout
// (the SDK takes no context), so cancelling lets calls in flight finish.
type Encrypter interface {
	Encrypt(ctx context.Context, req Request) (Response, error)
}
