package pipeline

import (
	"strings"

	"dytnsbatch/checkpoint"
	"dytnsbatch/readers"
)

// CodeOK is the Code of a row that got its 140 number.
const CodeOK = "OK"

// Local codes: rows that never reached the API get one of these in the Code column, so
// that no call (and no money) is spent on a number the service would refuse anyway.
// Every code is documented in the README.
const (
	// CodeEmpty: the phone cell is blank.
	CodeEmpty = readers.CodeEmpty
	// CodeInvalidNumber: the cell is not a mainland mobile number, even after removing
	// separators, country prefixes and full-width characters.
	CodeInvalidNumber = readers.CodeInvalidNumber
	// CodePrecisionLost: the digits were already destroyed by a spreadsheet (E+ text such
	// as 1.39E+10, or a float with more than 15 significant digits).
	CodePrecisionLost = readers.CodePrecisionLost
	// CodeUnreadable: the phone cell could not be read (for example a formula without a
	// cached value).
	CodeUnreadable = "Input.Unreadable"
	// CodeInvalidOutID: the --outid-column cell is longer than the 64 characters the API
	// accepts.
	CodeInvalidOutID = "Input.InvalidOutId"
)

// ResultColumns are appended, in this order, to every output row.
var ResultColumns = []string{"EncryptedNumber", "ExpireTime", "OutId", "Code", "Message", "RequestId", "Attempts", "Source"}

// Sources: how a row got its result (the Source column).
const (
	SourceCall   = "call"   // an API call of this job
	SourceCache  = "cache"  // the result store: an earlier job's answer, still valid
	SourceDedupe = "dedupe" // another row with the same number, of this job or an earlier file of the run
	SourceLocal  = "local"  // never sent: a local Input.* code
)

// SourceOf is a result's Source; records written before the Source column have none,
// and it follows from the rest of the record.
func SourceOf(r checkpoint.Result) string {
	switch {
	case r.Source != "":
		return r.Source
	case r.Attempts > 0:
		return SourceCall
	case strings.HasPrefix(r.Code, "Input."):
		return SourceLocal
	}
	return SourceDedupe
}

// maxOutIDLen is the API's limit on OutId.
const maxOutIDLen = 64
