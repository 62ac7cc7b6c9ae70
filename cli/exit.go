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

// The exit codes main itself returns.
const (
	ExitOK          = exitOK
	ExitUsage       = exitUsage
	ExitInterrupted = exitInterrupted
)

// ExitCodeOf is the exit code for a command's error: the code of an error that
// knows it (anywhere in its chain), else 2, a usage or configuration error. main's
// exit and a run of many files' per-file codes both come from here.
func ExitCodeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return exitUsage
}

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
