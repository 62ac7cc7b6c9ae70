package dytns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"dytnsbatch/sandbox"
)

// credEnv gives the test a fresh HOME and clears every ALIBABA_CLOUD_* variable, so
// that only the files and variables the test sets are seen. The metadata probe goes
// to a closed loopback port unless the test says otherwise.
func credEnv(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "ALIBABA_CLOUD_") {
			t.Setenv(k, "")
		}
	}
	for _, k := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_CONFIG_FILE", "ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_ROLE_ARN",
		"ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_OIDC_TOKEN", "ALIBABA_CLOUD_CREDENTIALS_URI",
		"ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "DEBUG"} {
		t.Setenv(k, "")
	}
	setIMDS(t, closedAddr(t), "")
	return home
}

func setIMDS(t *testing.T, probe, proxy string) {
	oldProbe, oldProxy := imdsProbeAddr, imdsProxy
	imdsProbeAddr, imdsProxy = probe, proxy
	t.Cleanup(func() { imdsProbeAddr, imdsProxy = oldProbe, oldProxy })
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func writeFile0600(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// writeCLIConfig writes an aliyun CLI config.json with the given profiles.
func writeCLIConfig(t *testing.T, path, current string, profiles ...map[string]any) {
	t.Helper()
	for _, p := range profiles {
		// Fields the CLI writes that credentials-go does not know.
		p["output_format"], p["language"], p["region_id"] = "json", "en", "cn-hangzhou"
	}
	b, err := json.MarshalIndent(map[string]any{"current": current, "profiles": profiles, "meta_path": ""}, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	writeFile0600(t, path, string(b))
}

func akProfile(name, id, secret string) map[string]any {
	return map[string]any{"name": name, "mode": "AK", "access_key_id": id, "access_key_secret": secret}
}

// signedAs builds a Client with cfg's credential settings, makes one call and
// returns the AccessKeyId|SecurityToken the server received.
func signedAs(t *testing.T, profile string) (string, error) {
	t.Helper()
	var got atomic.Value
	got.Store("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		got.Store(q.Get("AccessKeyId") + "|" + q.Get("SecurityToken"))
		echoHandler(w, r)
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), AuthCode: testAuthCode, Profile: profile, Timeout: 5 * time.Second})
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	return got.Load().(string), nil
}

func mustSign(t *testing.T, profile, want string) {
	t.Helper()
	got, err := signedAs(t, profile)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if got != want {
		t.Errorf("signed as %q, want %q", got, want)
	}
}

// configErr asserts err is a *ConfigError (exit 2) that mentions every want and
// leaks none of the secrets.
func configErr(t *testing.T, err error, want []string, secrets ...string) string {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *ConfigError", err)
	}
	if ce.ExitCode() != 2 {
		t.Errorf("exit code %d, want 2", ce.ExitCode())
	}
	msg := err.Error()
	t.Logf("%s", msg)
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not mention %q:\n%s", w, msg)
		}
	}
	for _, s := range secrets {
		if strings.Contains(msg, s) {
			t.Errorf("error leaks secret %q:\n%s", s, msg)
		}
	}
	return msg
}

func TestCredCLIProfileAK(t *testing.T) {
	home := credEnv(t)
	writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), "default", akProfile("default", "cli-ak-id", "cli-ak-secret"))
	mustSign(t, "", "cli-ak-id|")
}

func TestCredCLIProfileStsToken(t *testing.T) {
	home := credEnv(t)
	writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), "sts", map[string]any{
		"name": "sts", "mode": "StsToken", "access_key_id": "STS.cli-id", "access_key_secret": "sts-secret", "sts_token": "cli-sts-token"})
	mustSign(t, "", "STS.cli-id|cli-sts-token")
}

func TestCredProfileSelection(t *testing.T) {
	setup := func(t *testing.T) {
		home := credEnv(t)
		writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), "default",
			akProfile("default", "default-id", "default-secret"), akProfile("batch", "batch-id", "batch-secret"))
	}
	t.Run("current profile", func(t *testing.T) {
		setup(t)
		mustSign(t, "", "default-id|")
	})
	t.Run("--profile", func(t *testing.T) {
		setup(t)
		mustSign(t, "batch", "batch-id|")
	})
	t.Run("ALIBABA_CLOUD_PROFILE", func(t *testing.T) {
		setup(t)
		t.Setenv("ALIBABA_CLOUD_PROFILE", "batch")
		mustSign(t, "", "batch-id|")
	})
	t.Run("--profile beats ALIBABA_CLOUD_PROFILE", func(t *testing.T) {
		setup(t)
		t.Setenv("ALIBABA_CLOUD_PROFILE", "default")
		mustSign(t, "batch", "batch-id|")
	})
	t.Run("--profile beats an environment AccessKey", func(t *testing.T) {
		setup(t)
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
		mustSign(t, "batch", "batch-id|")
	})
	t.Run("an environment AccessKey beats ALIBABA_CLOUD_PROFILE (credentials-go's order)", func(t *testing.T) {
		setup(t)
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
		t.Setenv("ALIBABA_CLOUD_PROFILE", "batch")
		mustSign(t, "", "env-id|")
	})
	t.Run("unknown --profile", func(t *testing.T) {
		setup(t)
		_, err := signedAs(t, "nope")
		configErr(t, err, []string{`profile "nope" not found`, "config.json", "batch, default", ".alibabacloud/credentials"}, "default-secret", "batch-secret")
	})
}

func TestCredConfigFileEnv(t *testing.T) {
	home := credEnv(t)
	writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), "default", akProfile("default", "home-id", "home-secret"))
	other := filepath.Join(t.TempDir(), "elsewhere", "aliyun.json")
	writeCLIConfig(t, other, "work", akProfile("work", "elsewhere-id", "elsewhere-secret"))
	t.Setenv("ALIBABA_CLOUD_CONFIG_FILE", other)
	mustSign(t, "", "elsewhere-id|")

	t.Setenv("ALIBABA_CLOUD_CONFIG_FILE", filepath.Join(t.TempDir(), "missing.json"))
	_, err := signedAs(t, "")
	configErr(t, err, []string{"ALIBABA_CLOUD_CONFIG_FILE", "missing.json"})
}

func TestCredCredentialsIniFile(t *testing.T) {
	home := credEnv(t)
	ini := filepath.Join(home, ".alibabacloud", "credentials")
	writeFile0600(t, ini, "[default]\ntype = access_key\naccess_key_id = ini-id\naccess_key_secret = ini-secret\n\n"+
		"[batch]\ntype = access_key\naccess_key_id = ini-batch-id\naccess_key_secret = ini-batch-secret\n")
	mustSign(t, "", "ini-id|")
	mustSign(t, "batch", "ini-batch-id|")
	t.Setenv("ALIBABA_CLOUD_PROFILE", "batch")
	mustSign(t, "", "ini-batch-id|")
	t.Setenv("ALIBABA_CLOUD_PROFILE", "")

	// Elsewhere, through ALIBABA_CLOUD_CREDENTIALS_FILE.
	other := filepath.Join(t.TempDir(), "creds.ini")
	writeFile0600(t, other, "[default]\ntype = access_key\naccess_key_id = other-ini-id\naccess_key_secret = s3cret-other\n")
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", other)
	mustSign(t, "", "other-ini-id|")

	// A file named by the variable must exist.
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "nope.ini"))
	_, err := signedAs(t, "")
	configErr(t, err, []string{"ALIBABA_CLOUD_CREDENTIALS_FILE", "nope.ini"})
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", other)

	// The aliyun CLI config comes first in the chain.
	writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), "default", akProfile("default", "cli-id", "cli-secret"))
	mustSign(t, "", "cli-id|")

	// A type credentials-go cannot read is named.
	writeFile0600(t, other, "[default]\ntype = rsa_key_pair\npublic_key_id = x\n")
	os.Remove(filepath.Join(home, ".aliyun", "config.json"))
	_, err = signedAs(t, "")
	configErr(t, err, []string{"[default]", `"rsa_key_pair"`})
}

// An AccessKey profile without any key is not a source: the lookup goes on.
func TestCredEmptyAKProfileIsSkipped(t *testing.T) {
	home := credEnv(t)
	writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), "default", akProfile("default", "", ""))
	writeFile0600(t, filepath.Join(home, ".alibabacloud", "credentials"), "[default]\ntype = access_key\naccess_key_id = ini-id\naccess_key_secret = ini-secret\n")
	mustSign(t, "", "ini-id|")
}

func TestCredExternalProfile(t *testing.T) {
	home := credEnv(t)
	dir := t.TempDir()
	counter := filepath.Join(dir, "runs")
	script := filepath.Join(dir, "creds.sh")
	writeFile0600(t, script, fmt.Sprintf(`#!/bin/sh
echo run >> %s
echo '{"mode":"StsToken","access_key_id":"STS.ext-id","access_key_secret":"ext-secret","sts_token":"ext-token"}'
`, counter))
	if err := os.Chmod(script, 0o700); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(home, ".aliyun", "config.json")
	writeCLIConfig(t, cfgPath, "ext", map[string]any{"name": "ext", "mode": "External", "process_command": script})
	before, _ := os.ReadFile(cfgPath)

	p, err := resolveCredentials(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				c, err := p.GetCredentials()
				if err != nil || c.AccessKeyId != "STS.ext-id" || c.AccessKeySecret != "ext-secret" || c.SecurityToken != "ext-token" {
					t.Errorf("GetCredentials = %+v, %v", c, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	runs, _ := os.ReadFile(counter)
	// The command reports no expiration: credentials-go alone would run it for
	// every one of the 400 calls.
	if n := strings.Count(string(runs), "run"); n != 1 {
		t.Errorf("process_command ran %d times for 400 signatures, want 1", n)
	}
	after, _ := os.ReadFile(cfgPath)
	if string(after) != string(before) {
		t.Errorf("config.json was rewritten:\n%s", after)
	}
	mustSign(t, "", "STS.ext-id|ext-token")

	// A failing command names the profile and mode.
	writeFile0600(t, script, "#!/bin/sh\necho 'no login' >&2\nexit 3\n")
	_, err = signedAs(t, "")
	configErr(t, err, []string{`"ext"`, "External", "no login"})
}

// fakeCloudSSO answers CloudSSO's /cloud-credentials like the CloudSSO portal.
func fakeCloudSSO(t *testing.T, accessToken, id, secret, token string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/cloud-credentials" || r.Header.Get("Authorization") != "Bearer "+accessToken {
			http.Error(w, `{"ErrorCode":"NoPermission","AccessKeySecret":"leaked-in-body"}`, 403)
			return
		}
		var body struct{ AccountId, AccessConfigurationId string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.AccountId != "1234567890" || body.AccessConfigurationId != "ac-batch" {
			http.Error(w, `{"ErrorCode":"InvalidParameter"}`, 400)
			return
		}
		fmt.Fprintf(w, `{"RequestId":"r1","CloudCredential":{"AccessKeyId":%q,"AccessKeySecret":%q,"SecurityToken":%q,"Expiration":%q}}`,
			id, secret, token, time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func ssoProfile(name, url, accessToken string, expire time.Time) map[string]any {
	return map[string]any{"name": name, "mode": "CloudSSO", "cloud_sso_sign_in_url": url, "cloud_sso_account_id": "1234567890",
		"cloud_sso_access_config": "ac-batch", "access_token": accessToken, "cloud_sso_access_token_expire": expire.Unix()}
}

func TestCredCloudSSOProfile(t *testing.T) {
	home := credEnv(t)
	sso := fakeCloudSSO(t, "sso-access-token", "STS.sso-id", "sso-secret", "sso-sts-token")
	cfgPath := filepath.Join(home, ".aliyun", "config.json")
	writeCLIConfig(t, cfgPath, "default", akProfile("default", "", ""), ssoProfile("sso", sso.URL, "sso-access-token", time.Now().Add(time.Hour)))
	mustSign(t, "sso", "STS.sso-id|sso-sts-token")

	t.Run("expired login", func(t *testing.T) {
		writeCLIConfig(t, cfgPath, "sso", ssoProfile("sso", sso.URL, "sso-access-token", time.Now().Add(-time.Minute)))
		_, err := signedAs(t, "")
		configErr(t, err, []string{`"sso"`, "CloudSSO", "re-login", "aliyun configure --profile sso --mode CloudSSO"}, "sso-access-token")
	})
	t.Run("portal refuses, body quoted without secrets", func(t *testing.T) {
		writeCLIConfig(t, cfgPath, "sso", ssoProfile("sso", sso.URL, "wrong-access-token", time.Now().Add(time.Hour)))
		_, err := signedAs(t, "")
		configErr(t, err, []string{`"sso"`, "CloudSSO", "NoPermission"}, "leaked-in-body", "wrong-access-token")
	})
}

// OAuth's token endpoints are fixed in credentials-go (oauth.aliyun.com,
// oauth.alibabacloud.com), so a full login cannot be faked offline; the mode is
// recognised and handed to credentials-go, whose errors name the profile.
func TestCredOAuthProfileRecognised(t *testing.T) {
	home := credEnv(t)
	writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), "oauth", map[string]any{
		"name": "oauth", "mode": "OAuth", "oauth_site_type": "MARS", "oauth_refresh_token": "oauth-refresh-secret"})
	_, err := signedAs(t, "")
	configErr(t, err, []string{`"oauth"`, "mode OAuth", "CN or INTL"}, "oauth-refresh-secret")
}

func TestCredUnsupportedMode(t *testing.T) {
	home := credEnv(t)
	writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), "old", map[string]any{
		"name": "old", "mode": "RsaKeyPair", "private_key": "-----BEGIN PRIVATE KEY-----xyz", "key_pair_name": "kp"})
	_, err := signedAs(t, "")
	configErr(t, err, []string{`profile "old"`, `mode "RsaKeyPair"`, "CloudSSO", "aliyun configure --profile old"}, "BEGIN PRIVATE KEY")
}

func TestCredBadConfigJSONDoesNotQuoteIt(t *testing.T) {
	home := credEnv(t)
	writeFile0600(t, filepath.Join(home, ".aliyun", "config.json"), `{"current":"default","profiles":[{"name":"default","mode":"AK","access_key_secret":"json-secret-value",}]}`)
	_, err := signedAs(t, "")
	configErr(t, err, []string{"config.json", "not valid JSON"}, "json-secret-value")
}

// fakeIMDS is the ECS metadata service. credentials-go always dials
// 100.100.100.200, so the test reaches this server through credentials-go's proxy
// option (imdsProxy): requests arrive in proxy form, with the real host in the URL.
type fakeIMDS struct {
	*httptest.Server
	hosts sync.Map // Host headers seen
	calls atomic.Int64
}

func newFakeIMDS(t *testing.T, role string) *fakeIMDS {
	f := &fakeIMDS{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		f.hosts.Store(r.Host, true)
		switch {
		case r.Method == "PUT" && r.URL.Path == "/latest/api/token":
			fmt.Fprint(w, "imds-v2-token")
		case r.Header.Get("X-Aliyun-Ecs-Metadata-Token") != "imds-v2-token":
			http.Error(w, "no token", 401)
		case r.URL.Path == "/latest/meta-data/ram/security-credentials/":
			fmt.Fprint(w, role)
		case r.URL.Path == "/latest/meta-data/ram/security-credentials/"+role:
			fmt.Fprintf(w, `{"Code":"Success","AccessKeyId":"STS.ecs-id","AccessKeySecret":"ecs-secret","SecurityToken":"ecs-token","Expiration":%q,"LastUpdated":%q}`,
				time.Now().Add(6*time.Hour).UTC().Format("2006-01-02T15:04:05Z"), time.Now().UTC().Format("2006-01-02T15:04:05Z"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func TestCredEcsRamRole(t *testing.T) {
	check := func(t *testing.T, f *fakeIMDS) {
		t.Helper()
		if _, ok := f.hosts.Load("100.100.100.200"); !ok {
			t.Errorf("the fake metadata service saw no request for 100.100.100.200")
		}
	}
	t.Run("CLI profile EcsRamRole, role discovered", func(t *testing.T) {
		home := credEnv(t)
		f := newFakeIMDS(t, "batch-role")
		setIMDS(t, closedAddr(t), f.URL)
		writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), "ecs", map[string]any{"name": "ecs", "mode": "EcsRamRole"})
		mustSign(t, "", "STS.ecs-id|ecs-token")
		check(t, f)
	})
	t.Run("ALIBABA_CLOUD_ECS_METADATA", func(t *testing.T) {
		credEnv(t)
		f := newFakeIMDS(t, "batch-role")
		setIMDS(t, closedAddr(t), f.URL)
		t.Setenv("ALIBABA_CLOUD_ECS_METADATA", "batch-role")
		mustSign(t, "", "STS.ecs-id|ecs-token")
		check(t, f)
	})
	t.Run("probed metadata service", func(t *testing.T) {
		credEnv(t)
		f := newFakeIMDS(t, "batch-role")
		setIMDS(t, f.Listener.Addr().String(), f.URL)
		mustSign(t, "", "STS.ecs-id|ecs-token")
		check(t, f)
	})
	t.Run("configured role the service does not know", func(t *testing.T) {
		credEnv(t)
		f := newFakeIMDS(t, "batch-role")
		setIMDS(t, closedAddr(t), f.URL)
		t.Setenv("ALIBABA_CLOUD_ECS_METADATA", "other-role")
		_, err := signedAs(t, "")
		configErr(t, err, []string{"ECS instance RAM role other-role", "httpStatus"})
	})
}

func TestCredCredentialsURI(t *testing.T) {
	credEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("key") != "uri-query-secret" {
			http.Error(w, "forbidden", 403)
			return
		}
		fmt.Fprintf(w, `{"Code":"Success","AccessKeyId":"STS.uri-id","AccessKeySecret":"uri-secret","SecurityToken":"uri-token","Expiration":%q}`,
			time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z"))
	}))
	defer srv.Close()
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_URI", srv.URL+"/creds?key=uri-query-secret")
	mustSign(t, "", "STS.uri-id|uri-token")
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_URI", srv.URL+"/creds?key=wrong-query-secret")
	_, err := signedAs(t, "")
	configErr(t, err, []string{"ALIBABA_CLOUD_CREDENTIALS_URI", "forbidden"}, "wrong-query-secret")
}

func TestCredIncompleteSources(t *testing.T) {
	t.Run("environment", func(t *testing.T) {
		credEnv(t)
		t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "only-id")
		_, err := signedAs(t, "")
		configErr(t, err, []string{"ALIBABA_CLOUD_ACCESS_KEY_SECRET"})
	})
	t.Run("OIDC", func(t *testing.T) {
		credEnv(t)
		t.Setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/var/run/token")
		_, err := signedAs(t, "")
		configErr(t, err, []string{"OIDC", "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"})
	})
}

// With nothing configured anywhere the lookup fails fast, as a configuration error,
// naming every place it looked, in order: with the real metadata address (whatever
// this machine's network does with it), with nothing listening, and with a metadata
// service that accepts connections and never answers.
func TestCredNoneFailsFastListingPlaces(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer hang.Close()
	for _, tc := range []struct{ name, probe, proxy string }{
		{"100.100.100.200", "100.100.100.200:80", ""},
		{"nothing listening", closedAddr(t), ""},
		{"metadata service hangs", hang.Listener.Addr().String(), hang.URL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			credEnv(t)
			setIMDS(t, tc.probe, tc.proxy)
			noCredentials(t)
		})
	}
}

func noCredentials(t *testing.T) {
	start := time.Now()
	c, err := New(Config{AuthCode: "a"})
	took := time.Since(start)
	if err == nil {
		c.Close()
		t.Skip("this machine has an ECS instance role")
	}
	if took >= 2*time.Second {
		t.Errorf("took %v, want < 2s", took)
	}
	t.Logf("no credentials: failed after %v", took)
	msg := configErr(t, err, nil)
	places := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", ".aliyun/config.json", "ALIBABA_CLOUD_CONFIG_FILE",
		".alibabacloud/credentials", "ALIBABA_CLOUD_CREDENTIALS_FILE", "ECS instance RAM role", "ALIBABA_CLOUD_ECS_METADATA",
		"ALIBABA_CLOUD_CREDENTIALS_URI"}
	at := -1
	for _, p := range places {
		i := strings.Index(msg, p)
		if i < 0 {
			t.Errorf("message does not mention %q:\n%s", p, msg)
			continue
		}
		if i < at {
			t.Errorf("%q listed out of order:\n%s", p, msg)
		}
		at = i
	}
	for _, fix := range []string{"export both", "aliyun configure", "attach a RAM role"} {
		if !strings.Contains(msg, fix) {
			t.Errorf("message does not say %q:\n%s", fix, msg)
		}
	}
}

// TestCredAdapterSignsForTheSandbox: credentials-go → adapter → the V1 SDK's signer,
// against the sandbox's real signature and STS token checks, from many goroutines.
func TestCredAdapterSignsForTheSandbox(t *testing.T) {
	home := credEnv(t)
	sso := fakeCloudSSO(t, "sso-access-token", "STS.sandbox-id", "sandbox-sts-secret", "sandbox-sts-token")
	cfg := sandbox.DefaultConfig()
	cfg.AccessKeys = []sandbox.AccessKey{{ID: "STS.sandbox-id", Secret: "sandbox-sts-secret", SecurityToken: "sandbox-sts-token"}}
	cfg.AuthCodes = []string{testAuthCode}
	srv := httptest.NewServer(sandbox.New(cfg))
	defer srv.Close()
	cfgPath := filepath.Join(home, ".aliyun", "config.json")
	writeCLIConfig(t, cfgPath, "sso", ssoProfile("sso", sso.URL, "sso-access-token", time.Now().Add(time.Hour)))

	c, err := New(Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), AuthCode: testAuthCode, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.creds.(*credsAdapter); !ok {
		t.Fatalf("credentials provider is %T, want the credentials-go adapter", c.creds)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				n := fmt.Sprintf("1380000%02d%02d", g, i)
				resp, err := c.Encrypt(context.Background(), Request{Number: n})
				if err != nil || !strings.HasPrefix(resp.EncryptedNumber, "140") {
					t.Errorf("Encrypt %s: %+v, %v", MaskNumber(n), resp, err)
					return
				}
			}
		}()
	}
	wg.Wait()

	// The control: the same path with a secret the sandbox does not know fails.
	sso2 := fakeCloudSSO(t, "sso-access-token", "STS.sandbox-id", "not-the-secret", "sandbox-sts-token")
	writeCLIConfig(t, cfgPath, "sso", ssoProfile("sso", sso2.URL, "sso-access-token", time.Now().Add(time.Hour)))
	bad, err := New(Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), AuthCode: testAuthCode, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	_, err = bad.Encrypt(context.Background(), Request{Number: testNumber})
	var e *Error
	if !errors.As(err, &e) || e.Code != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: err = %v, want SignatureDoesNotMatch", err)
	}
}

func TestScrubSecrets(t *testing.T) {
	in := `get session token failed: {"AccessKeyId":"id1","AccessKeySecret":"abc123","SecurityToken":"tok456"} refresh_token=r789&x=1 known-value-1`
	out := scrubSecrets(in, []string{"known-value-1"})
	for _, s := range []string{"abc123", "tok456", "r789", "known-value-1"} {
		if strings.Contains(out, s) {
			t.Errorf("%q survives: %s", s, out)
		}
	}
	if !strings.Contains(out, `"AccessKeyId":"id1"`) {
		t.Errorf("non-secret field lost: %s", out)
	}
}

// A refresh that fails during a run (here: a credentials URI whose credentials
// always need refreshing and that starts failing) is retried once, then ends the
// row as Fatal with its own code, since every row would fail alike.
func TestCredRefreshFailureMidRunIsFatal(t *testing.T) {
	credEnv(t)
	var calls, failing atomic.Int64
	uri := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if failing.Load() != 0 {
			http.Error(w, `{"Code":"Expired","SecurityToken":"stale-token-value"}`, 500)
			return
		}
		// Expiring within credentials-go's 180 s margin: it refreshes on every call.
		fmt.Fprintf(w, `{"Code":"Success","AccessKeyId":"STS.uri-id","AccessKeySecret":"uri-secret","SecurityToken":"uri-token","Expiration":%q}`,
			time.Now().Add(100*time.Second).UTC().Format("2006-01-02T15:04:05Z"))
	}))
	defer uri.Close()
	t.Setenv("ALIBABA_CLOUD_CREDENTIALS_URI", uri.URL)
	c, _ := newTestClient(t, http.HandlerFunc(echoHandler), func(cfg *Config) { cfg.AccessKeyID, cfg.AccessKeySecret = "", "" })
	if _, err := c.Encrypt(context.Background(), Request{Number: testNumber}); err != nil {
		t.Fatal(err)
	}
	failing.Store(1)
	before := calls.Load()
	_, err := c.Encrypt(context.Background(), Request{Number: testNumber})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeCredentials || e.Class != Fatal {
		t.Fatalf("err = %#v, want a Fatal %s", err, CodeCredentials)
	}
	if n := calls.Load() - before; n != 2 {
		t.Errorf("credentials URI asked %d times after it started failing, want 2 (one retry)", n)
	}
	if !strings.Contains(e.Message, "ALIBABA_CLOUD_CREDENTIALS_URI") || strings.Contains(e.Message, "stale-token-value") || Hint(e.Code) == "" {
		t.Errorf("message %q (hint %q)", e.Message, Hint(e.Code))
	}
}

// Modes that need Alibaba's STS over HTTPS (RamRoleArn, ChainableRamRoleArn, OIDC)
// cannot be completed offline; a profile missing what the mode needs fails before
// any network call, naming the profile and its mode.
func TestCredSTSModesRecognised(t *testing.T) {
	for _, p := range []map[string]any{
		{"name": "role", "mode": "RamRoleArn", "access_key_id": "id", "access_key_secret": "role-src-secret"},
		{"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "missing"},
		{"name": "oidc", "mode": "OIDC", "oidc_token_file": "/nonexistent/token"},
	} {
		t.Run(p["mode"].(string), func(t *testing.T) {
			home := credEnv(t)
			name := p["name"].(string)
			writeCLIConfig(t, filepath.Join(home, ".aliyun", "config.json"), name, p)
			_, err := signedAs(t, "")
			configErr(t, err, []string{fmt.Sprintf("%q", name), "mode " + p["mode"].(string)}, "role-src-secret")
		})
	}
}

func TestScrubSecretsTruncatesOnARuneBoundary(t *testing.T) {
	out := scrubSecrets(strings.Repeat("凭", 200), nil)
	if !utf8.ValidString(out) || !strings.HasSuffix(out, "...") || len(out) > 404 {
		t.Errorf("truncated to %d bytes, valid UTF-8 %v", len(out), utf8.ValidString(out))
	}
}
