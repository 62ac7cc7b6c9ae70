package cli

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dytnsbatch/sandbox"
)

func TestProfileFlagReachesConfig(t *testing.T) {
	o, err := parseEncryptFlags([]string{"in.csv", "--profile", "batch"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := setupEndpoint(o)
	if err != nil {
		t.Fatal(err)
	}
	if ep.cfg.Profile != "batch" {
		t.Errorf("Config.Profile = %q, want batch", ep.cfg.Profile)
	}

	_, err = parseEncryptFlags([]string{"in.csv", "--profile", "batch", "--sandbox"}, io.Discard)
	var ec exitCoder
	if !errors.As(err, &ec) || ec.ExitCode() != exitUsage || !strings.Contains(err.Error(), "--profile") {
		t.Errorf("--profile with --sandbox: err = %v, want a usage error naming --profile", err)
	}
}

// writeCLIProfiles writes an aliyun CLI config.json into home.
func writeCLIProfiles(t *testing.T, home, current string, profiles ...map[string]string) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"current": current, "profiles": profiles})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, ".aliyun"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aliyun", "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The binary, with credentials only in an aliyun CLI profile picked by --profile
// and by ALIBABA_CLOUD_PROFILE, against a sandbox that checks the signature.
func TestE2ECredProfileFromCLIConfig(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeNumbers(t, in, 20)
	srv, env := startSandbox(t, nil)
	home := t.TempDir()
	writeCLIProfiles(t, home, "default",
		map[string]string{"name": "default", "mode": "AK", "access_key_id": "wrong-id", "access_key_secret": "wrong-secret"},
		map[string]string{"name": "batch", "mode": "AK", "access_key_id": sandbox.DefaultAccessKeyID, "access_key_secret": sandbox.DefaultAccessKeySecret})
	base := []string{"HOME=" + home, "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true", env[2]} // env[2]: DYTNS_AUTH_CODE only

	r := runBin(t, base, "encrypt", "--endpoint", srv.Addr(), "--profile", "batch", in, "-o", filepath.Join(dir, "flag.csv"))
	if r.code != 0 {
		t.Fatalf("--profile batch: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `credentials: aliyun CLI profile "batch" (mode AK) in `+filepath.Join(home, ".aliyun", "config.json")) {
		t.Errorf("stderr does not name the credentials used:\n%s", r.stderr)
	}
	rows := readCSV(t, filepath.Join(dir, "flag.csv"))
	code := slices.Index(rows[0], "Code")
	if len(rows) != 21 || code < 0 {
		t.Fatalf("--profile batch: output %v", rows[:min(len(rows), 2)])
	}
	for _, row := range rows[1:] {
		if row[code] != "OK" {
			t.Errorf("--profile batch: row %v", row)
		}
	}
	r = runBin(t, append(base, "ALIBABA_CLOUD_PROFILE=batch"), "encrypt", "--endpoint", srv.Addr(), in, "-o", filepath.Join(dir, "env.csv"))
	if r.code != 0 {
		t.Fatalf("ALIBABA_CLOUD_PROFILE=batch: exit %d\n%s", r.code, r.stderr)
	}
	// The current profile's key is unknown to the sandbox: a Fatal API error, not OK.
	r = runBin(t, base, "encrypt", "--endpoint", srv.Addr(), in, "-o", filepath.Join(dir, "current.csv"))
	if r.code == 0 || !strings.Contains(r.stderr, "InvalidAccessKeyId") {
		t.Errorf("current profile with an unknown key: exit %d\n%s", r.code, r.stderr)
	}
	for _, s := range []string{"wrong-secret", sandbox.DefaultAccessKeySecret} {
		if strings.Contains(r.stderr, s) {
			t.Errorf("stderr leaks %q", s)
		}
	}
}

// The binary with no credentials anywhere: exit 2 at once, every place listed.
func TestE2ECredNoneFailsFast(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	writeNumbers(t, in, 5)
	start := time.Now()
	r := runBin(t, []string{"DYTNS_AUTH_CODE=x"}, "encrypt", in, "-o", filepath.Join(dir, "out.csv"))
	took := time.Since(start)
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitUsage, r.stderr)
	}
	if took > 2*time.Second+time.Second { // the binary runs under -race: one second for its start
		t.Errorf("took %v", took)
	}
	t.Logf("no credentials: exit %d after %v (binary start included)", r.code, took)
	for _, p := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "OIDC", ".aliyun/config.json", ".alibabacloud/credentials", "ECS instance RAM role", "ALIBABA_CLOUD_CREDENTIALS_URI"} {
		if !strings.Contains(r.stderr, p) {
			t.Errorf("stderr does not mention %q:\n%s", p, r.stderr)
		}
	}
}
