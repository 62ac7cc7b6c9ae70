// Command dytnsbatch converts spreadsheets of phone numbers into Dytnsapi
// PhoneNumberEncrypt 140 numbers, and serves a local sandbox of that API.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"dytnsbatch/cli"
	"dytnsbatch/sandbox"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"encrypt", "convert the phone numbers of CSV/XLSX/XLS files (or folders of them) into 140 numbers", cli.EncryptCommand},
	{"sandbox", "serve a local emulator of the Dytnsapi API", sandbox.Command},
	{"status", "show the progress recorded in a job's checkpoint", cli.StatusCommand},
	{"cache", "inspect or clean the result store (stats, path, purge)", cli.CacheCommand},
	{"version", "print the version, VCS revision and Go version (--json for JSON)", cli.VersionCommand},
}

func main() {
	tuneMemory()
	// DYTNSBATCH_CPUPROFILE=FILE writes a CPU profile of the whole run, for the
	// benchmarks in bench/.
	if path := os.Getenv("DYTNSBATCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			code := run(os.Args[1:], os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	// DYTNSBATCH_HEAPPROFILE=FILE writes a heap profile 10 s into the run.
	if path := os.Getenv("DYTNSBATCH_HEAPPROFILE"); path != "" {
		time.AfterFunc(10*time.Second, func() {
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		})
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return cli.ExitUsage
		}
		return cli.ExitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		// The first SIGINT/SIGTERM cancels the context: calls in flight finish and
		// progress is saved. A second one kills the process at once (what was recorded
		// stays recorded).
		ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer cancel()
		go func() {
			<-ctx.Done()
			cancel()
			second := make(chan os.Signal, 1)
			signal.Notify(second, os.Interrupt, syscall.SIGTERM)
			<-second
			fmt.Fprintln(stderr, "dytnsbatch: second interrupt, exiting now")
			os.Exit(cli.ExitInterrupted)
		}()
		err := c.run(ctx, args[1:], stdout, stderr)
		return exitCode(err, stderr)
	}
	fmt.Fprintf(stderr, "dytnsbatch: unknown command %q\n\n", args[0])
	usage(stderr)
	return cli.ExitUsage
}

// exitCode says the error (an error may carry only its code, when the summary
// already said everything) and maps it to the documented exit codes.
func exitCode(err error, stderr io.Writer) int {
	if err != nil && err.Error() != "" {
		fmt.Fprintln(stderr, "dytnsbatch:", err)
	}
	return cli.ExitCodeOf(err)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: dytnsbatch COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'dytnsbatch COMMAND --help' for a command's flags, 'dytnsbatch --version' for the build.")
}

// tuneMemory trades a little GC work for a small, predictable footprint, so several
// jobs can share a small machine: a soft limit of 128 MiB (the live heap of a large
// job is well under it) with a relaxed GOGC below it. GOMEMLIMIT and GOGC override.
func tuneMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}
