package pipeline

import "dytnsbatch/readers"

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
var ResultColumns = []string{"EncryptedNumber", "ExpireTime", "OutId", "Code", "Message", "RequestId", "Attempts"}

// maxOutIDLen is the API's limit on OutId.
const maxOutIDLen = 64
