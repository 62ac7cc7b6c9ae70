// Package checkpoint keeps a job's progress durable so that a killed run can be
// resumed without losing a row, writing a row twice, or calling the API twice for a
// row that already has its answer.
package checkpoint

// Result is the recorded outcome of one data row.
type Result struct {
	Index           int64  // the row's readers.Row.Index
	Key             uint64 // keyed hash of the normalised number, for dedupe across runs; 0 = none
	EncryptedNumber string
	ExpireTime      string
	OutID           string
	Code            string // "OK", an API error code, or a local Input.* code
	Message         string
	RequestID       string
	Attempts        int
	Retryable       bool // the final failure was of a retryable kind (for --retry-failed)
}
