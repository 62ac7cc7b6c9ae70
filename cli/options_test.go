package cli

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// Every validation error of `encrypt` is a usage error (exit 2) that names the flag
// and says what is wanted; valid combinations parse, with the derived fields set.
func TestEncryptOptionsValidation(t *testing.T) {
	bad := []struct {
		name string
		args []string
		want string // in the message
	}{
		{"negative qps", []string{"--qps", "-1", "in.csv"}, "--qps must be positive"},
		{"negative retries", []string{"--retries", "-2", "in.csv"}, "--retries must be 0 or more"},
		{"unknown progress", []string{"--progress", "fancy", "in.csv"}, `--progress must be auto, bar, log or none, not "fancy"`},
		{"unknown output encoding", []string{"--output-encoding", "latin1", "in.csv"}, `--output-encoding must be utf-8 or gb18030, not "latin1"`},
		{"two-character delimiter", []string{"--delimiter", ";;", "in.csv"}, `--delimiter must be one character or 'tab', not ";;"`},
		{"max-errors share over 100", []string{"--max-errors", "150%", "in.csv"}, `--max-errors "150%": want N or N% with 0 < N ≤ 100`},
		{"max-errors zero share", []string{"--max-errors", "0%", "in.csv"}, `--max-errors "0%"`},
		{"max-errors not a number", []string{"--max-errors", "lots", "in.csv"}, `--max-errors "lots": want a row count N or a share N%`},
		{"max-errors negative", []string{"--max-errors", "-3", "in.csv"}, `--max-errors "-3"`},
		{"profile with sandbox", []string{"--profile", "p", "--sandbox", "in.csv"}, "--profile selects credentials for the real service"},
		{"retry-failed without checkpoint", []string{"--retry-failed", "--no-checkpoint", "in.csv"}, "--retry-failed works from the checkpoint"},
		{"retry-failed with restart", []string{"--retry-failed", "--restart", "in.csv"}, "cannot go with --no-checkpoint or --restart"},
		{"negative min-validity", []string{"--min-validity", "-1h", "in.csv"}, "--min-validity must be 0 or more"},
		{"no-cache with cache", []string{"--no-cache", "--cache", "/tmp/x", "in.csv"}, "--no-cache turns the result store off"},
		{"no-cache with cache-refresh", []string{"--no-cache", "--cache-refresh", "in.csv"}, "cannot go with --cache or --cache-refresh"},
		{"unknown flag", []string{"--frobnicate", "in.csv"}, "frobnicate"},
		{"no input", []string{"--sandbox"}, "INPUT"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseEncryptFlags(tt.args, io.Discard)
			var ec exitCoder
			if !errors.As(err, &ec) || ec.ExitCode() != exitUsage {
				t.Fatalf("parseEncryptFlags(%q) = %v, want a usage error (exit %d)", tt.args, err, exitUsage)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseEncryptFlags(%q) = %q, want it to contain %q", tt.args, err, tt.want)
			}
		})
	}

	good := []struct {
		name  string
		args  []string
		check func(*encryptOptions) string // "" when right
	}{
		{"defaults beside the input", []string{"data/in.xlsx"}, func(o *encryptOptions) string {
			if o.output != "data/in.encrypted.xlsx" || o.checkpointPath != "data/in.encrypted.xlsx.checkpoint" || o.qps != 1000 || o.minValidity != 24*time.Hour {
				return "defaults not derived"
			}
			return ""
		}},
		{"xls gives xlsx", []string{"old.xls"}, func(o *encryptOptions) string {
			if o.output != "old.encrypted.xlsx" {
				return "output " + o.output
			}
			return ""
		}},
		{"tab delimiter by name", []string{"--delimiter", "tab", "in.txt"}, func(o *encryptOptions) string {
			if o.delimiterRune != '\t' {
				return "delimiter not tab"
			}
			return ""
		}},
		{"max-errors share", []string{"--max-errors", "2.5%", "in.csv"}, func(o *encryptOptions) string {
			if o.maxErrorsRatio != 0.025 || o.maxErrorsCount != 0 {
				return "ratio not 0.025"
			}
			return ""
		}},
		{"max-errors count", []string{"in.csv", "--max-errors", "7"}, func(o *encryptOptions) string {
			if o.maxErrorsCount != 7 || o.maxErrorsRatio != 0 {
				return "count not 7"
			}
			return ""
		}},
		{"qps 0 means no limit", []string{"--qps", "0", "in.csv"}, func(o *encryptOptions) string {
			if o.qps != 0 {
				return "qps not 0"
			}
			return ""
		}},
		{"explicit checkpoint and output", []string{"-o", "out.jsonl", "--checkpoint", "c.ckpt", "in.csv"}, func(o *encryptOptions) string {
			if o.output != "out.jsonl" || o.checkpointPath != "c.ckpt" {
				return "paths not kept"
			}
			return ""
		}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DYTNS_AUTH_CODE", "")
			o, err := parseEncryptFlags(tt.args, io.Discard)
			if err != nil {
				t.Fatalf("parseEncryptFlags(%q): %v", tt.args, err)
			}
			if msg := tt.check(o); msg != "" {
				t.Fatalf("parseEncryptFlags(%q): %s: %+v", tt.args, msg, o)
			}
		})
	}
}
