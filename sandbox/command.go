package sandbox

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// UsageError marks a bad command line; the process should exit with 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitCode is the conventional exit status for usage errors.
func (e *UsageError) ExitCode() int { return 2 }

// DefaultListen is where `dytnsbatch sandbox` listens unless told otherwise.
const DefaultListen = "127.0.0.1:18080"

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// Command implements `dytnsbatch sandbox [flags]`: it serves the sandbox
// until ctx is cancelled, then shuts down gracefully.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, listen, err := parseFlags(args, stdout, stderr)
	if err != nil || cfg == nil {
		return err
	}
	srv, err := Start(listen, *cfg)
	if err != nil {
		return err
	}
	printBanner(stdout, srv, cfg)

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("sandbox shutdown: %w", err)
	}
	st := srv.Sandbox().Stats()
	fmt.Fprintf(stdout, "sandbox stopped: %d requests, %d billed, %d throttled, %d rejected before auth\n",
		st.Requests, st.Billed, st.Throttled, st.RejectedBeforeAuth)
	return nil
}

// parseFlags reads the sandbox's flags into a validated Config and the listen
// address. A nil Config with a nil error means --help was printed.
func parseFlags(args []string, stdout, stderr io.Writer) (*Config, string, error) {
	def := DefaultConfig()
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	// Parse silently, then print usage where it belongs: stdout when asked
	// for, stderr on a mistake.
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", DefaultListen, "`address` to listen on (loopback only unless --allow-remote)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --listen address")
	keyID := fs.String("access-key-id", DefaultAccessKeyID, "AccessKeyId the sandbox accepts")
	keySecret := fs.String("access-key-secret", DefaultAccessKeySecret, "AccessKeySecret the sandbox accepts")
	token := fs.String("security-token", "", "require this STS SecurityToken with the key")
	var codes listFlag
	fs.Var(&codes, "auth-code", "accepted AuthCode; repeatable or comma-separated (default "+DefaultAuthCode+")")
	qps := fs.Int("qps", DefaultQPS, "calls per second per AccessKeyId; 0 = unlimited")
	window := fs.String("window", WindowFixed, "throttle window: fixed (wall-clock seconds) or sliding (any 1 s span)")
	throttleCode := fs.String("throttle-code", DefaultThrottleCode, "error code of throttled calls: System.LimitControl, Throttling.User, Throttling or Throttling.Api")
	latency := fs.Duration("latency", 0, "base latency of each admitted call")
	jitter := fs.Duration("jitter", 0, "uniform latency jitter ±`duration`")
	errorMode := fs.String("error-mode", ErrorModeStatus, "business errors as HTTP status (status) or HTTP 200 with a Code (body)")
	fInternal := fs.Float64("fault-internal", 0, "probability of 500 InternalError")
	fTimeout := fs.Float64("fault-timeout", 0, "probability of 500 RequestTimeout")
	fUnavail := fs.Float64("fault-unavailable", 0, "probability of 503 ServiceUnavailable (HTML body)")
	fReset := fs.Float64("fault-reset", 0, "probability of a TCP connection reset")
	fSlow := fs.Float64("fault-slow", 0, "probability of answering only after --slow-delay")
	slowDelay := fs.Duration("slow-delay", DefaultSlowDelay, "delay of slow responses")
	seed := fs.Int64("seed", def.Seed, "seed of fault and jitter draws")
	validity := fs.Duration("validity", DefaultValidity, "lifetime of a 140 number")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: dytnsbatch sandbox [flags]\n\nRuns a local emulator of Dytnsapi PhoneNumberEncrypt (%s) until interrupted.\n\nFlags:\n", Version)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, "", nil
		}
		fs.SetOutput(stderr)
		fs.Usage()
		return nil, "", &UsageError{Err: err}
	}
	if fs.NArg() > 0 {
		return nil, "", &UsageError{Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if len(codes) == 0 {
		codes = listFlag{DefaultAuthCode}
	}
	switch *throttleCode {
	case "System.LimitControl", "Throttling.User", "Throttling", "Throttling.Api":
	default:
		return nil, "", &UsageError{Err: fmt.Errorf("--throttle-code %q: want System.LimitControl, Throttling.User, Throttling or Throttling.Api", *throttleCode)}
	}
	if !*allowRemote {
		if err := checkLoopback(*listen); err != nil {
			return nil, "", &UsageError{Err: err}
		}
	}
	cfg := def
	cfg.AccessKeys = []AccessKey{{ID: *keyID, Secret: *keySecret, SecurityToken: *token}}
	cfg.AuthCodes = codes
	cfg.QPS = *qps
	cfg.Window = *window
	cfg.ThrottleCode = *throttleCode
	cfg.Latency, cfg.Jitter = *latency, *jitter
	cfg.ErrorMode = *errorMode
	cfg.FaultInternal, cfg.FaultTimeout, cfg.FaultUnavailable, cfg.FaultReset, cfg.FaultSlow = *fInternal, *fTimeout, *fUnavail, *fReset, *fSlow
	cfg.SlowDelay = *slowDelay
	cfg.Seed = *seed
	cfg.Validity = *validity
	if cfg.SlowDelay <= 0 || cfg.Validity <= 0 {
		return nil, "", &UsageError{Err: errors.New("--slow-delay and --validity must be > 0")}
	}
	if err := cfg.Validate(); err != nil {
		return nil, "", &UsageError{Err: err}
	}
	return &cfg, *listen, nil
}

// printBanner tells the user where the sandbox listens and how to point encrypt at it.
func printBanner(stdout io.Writer, srv *Server, cfg *Config) {
	k := cfg.AccessKeys[0]
	addr := srv.Addr()
	fmt.Fprintf(stdout, "Dytnsapi sandbox listening on %s (endpoint %s)\n", srv.URL(), addr)
	fmt.Fprintf(stdout, "qps=%d window=%s error-mode=%s latency=%s±%s\n", cfg.QPS, cfg.Window, cfg.ErrorMode, cfg.Latency, cfg.Jitter)
	fmt.Fprintf(stdout, "Sandbox credentials (not secret):\n")
	fmt.Fprintf(stdout, "  export ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n", shellQuote(k.ID))
	fmt.Fprintf(stdout, "  export ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n", shellQuote(k.Secret))
	if k.SecurityToken != "" {
		fmt.Fprintf(stdout, "  export ALIBABA_CLOUD_SECURITY_TOKEN=%s\n", shellQuote(k.SecurityToken))
	}
	fmt.Fprintf(stdout, "  export DYTNS_AUTH_CODE=%s\n", shellQuote(cfg.AuthCodes[0]))
	fmt.Fprintf(stdout, "Then run:\n  dytnsbatch encrypt --endpoint %s FILE\n", addr)
	fmt.Fprintf(stdout, "Counters: %s%s\n", srv.URL(), StatsPath)
}

// checkLoopback refuses addresses that would expose the sandbox (and its
// published credentials) beyond this machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--listen %q is not a loopback address; add --allow-remote to expose the sandbox", addr)
}

func shellQuote(s string) string {
	for _, c := range s {
		if !(c == '-' || c == '_' || c == '.' || c == '/' || c == ':' || c == '=' || c == '+' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
