package cli

import (
	"errors"
	"fmt"
)

// Exit codes scripts can rely on (documented in the README).
const (
	exitOK          = 0 // every row OK
	exitRowsFailed  = 1 // finished, some rows not OK
	exitUsage       = 2 // bad flag, unreadable input, missing credentials or AuthCode
	exitFatalAPI    = 3 // aborted by a fatal API error or --max-errors; resumable
	exitInterrupted = 4 // SIGINT/SIGTERM or --max-duration; resumable
)

// exitCoder is implemented by errors that know their exit code.
type exitCoder interface{ ExitCode() int }

// The exit codes main itself returns, and the interface of its one
// error-to-exit-code switch.
const (
	ExitOK          = exitOK
	ExitUsage       = exitUsage
	ExitInterrupted = exitInterrupted
)

// ExitCoder is implemented by the errors commands return when they know their exit
// code; any other error is a usage or configuration error (exit 2).
type ExitCoder = exitCoder

// exitError carries an exit code and a message (which may be empty when the
// summary already said everything).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

// asConfigError keeps an error's own exit code, or makes it a usage/configuration
// error (exit 2).
func asConfigError(err error) error {
	var ec exitCoder
	if errors.As(err, &ec) {
		return err
	}
	return &exitError{code: exitUsage, err: err}
}

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}
