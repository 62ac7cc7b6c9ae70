package dytns

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	cgcredentials "github.com/aliyun/credentials-go/credentials"
	cgproviders "github.com/aliyun/credentials-go/credentials/providers"
	"gopkg.in/ini.v1"
)

// Credentials are looked up the way Alibaba's own tools do: credentials-go
// (github.com/aliyun/credentials-go), the chain behind the aliyun CLI and the V2
// SDKs, in its default chain's order. The V1 SDK's own chain knows neither the CLI's
// newer profile modes (CloudSSO, OAuth, External...) nor ALIBABA_CLOUD_CONFIG_FILE.
//
// Two deliberate differences from credentials-go's default chain:
//   - a source that is there but broken (a half-set environment, a profile whose
//     mode fails, a file named by an environment variable that does not exist) stops
//     the lookup with its own error instead of falling through to the next source:
//     falling through would sign with other credentials, maybe another account's,
//     and the user would only learn it from the bill;
//   - the ECS metadata service is only asked when ALIBABA_CLOUD_ECS_METADATA names a
//     role, or when a 300 ms TCP probe finds it: credentials-go asks it
//     unconditionally, with 1 s timeouts per request and two requests before it
//     gives up, so a laptop without credentials would wait about 2 s on every run
//     before hearing what is missing.

// Test hooks. credentials-go hard-wires the metadata host (100.100.100.200); its
// HTTP proxy option is the only way to point its IMDS client at a loopback fake.
var (
	imdsProbeAddr = "100.100.100.200:80"
	imdsProxy     = ""
)

const (
	imdsProbeTimeout = 300 * time.Millisecond
	// Per request, when the user configured the instance role; credentials-go's
	// default is 1 s each.
	imdsConnectTimeoutMS = 500
	imdsReadTimeoutMS    = 1000
	// A probed (not configured) metadata service gets this long in all, so that a
	// machine without credentials still fails within 2 s.
	imdsProbedBudget = 1200 * time.Millisecond
	// credentials-go runs an External process_command again on every call when the
	// command reports no expiration: at 1000 calls/s that would be 1000 processes a
	// second. Reuse its answer this long (credentials-go itself refreshes 180 s
	// before a reported expiration, so a reused answer still has 2 minutes left).
	externalReuse = time.Minute
	// Wait before the one retry of a failed refresh during a run.
	refreshRetryDelay = time.Second
)

const supportedModes = "AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole, OIDC, CloudSSO, OAuth, External, CredentialsURI"

// credsAdapter puts a credentials-go Credential behind the V1 SDK's
// CredentialsProvider interface, which the SDK calls on every request it signs.
// credentials-go's providers keep their STS state in unsynchronised fields, so calls
// are serialised; a refresh blocks the other signers, which need it anyway.
type credsAdapter struct {
	mu      sync.Mutex
	cred    cgcredentials.Credential
	source  string        // where the credentials come from, for messages; no secrets
	reuse   time.Duration // see externalReuse; 0 = always ask credentials-go
	secrets []string      // values to scrub from credentials-go's error messages
	last    credentials.Credentials
	lastAt  time.Time
}

func newCredsAdapter(source string, p cgproviders.CredentialsProvider, secrets []string) *credsAdapter {
	return &credsAdapter{cred: cgcredentials.FromCredentialsProvider(p.GetProviderName(), p), source: source, secrets: secrets}
}

func (a *credsAdapter) GetCredentials() (*credentials.Credentials, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.reuse > 0 && !a.lastAt.IsZero() && time.Since(a.lastAt) < a.reuse {
		c := a.last
		return &c, nil
	}
	m, err := a.cred.GetCredential()
	if err != nil && !a.lastAt.IsZero() {
		// A refresh during a run (the first fetch, in New, fails fast instead): one
		// network blip towards STS or the CloudSSO portal should not end the run.
		time.Sleep(refreshRetryDelay)
		m, err = a.cred.GetCredential()
	}
	if err != nil {
		return nil, &credentialError{msg: a.source + ": " + scrubSecrets(err.Error(), a.secrets)}
	}
	c := credentials.Credentials{ProviderName: "credentials-go/" + deref(m.ProviderName)}
	c.AccessKeyId, c.AccessKeySecret, c.SecurityToken = deref(m.AccessKeyId), deref(m.AccessKeySecret), deref(m.SecurityToken)
	if c.AccessKeyId == "" || c.AccessKeySecret == "" {
		return nil, &credentialError{msg: a.source + ": credentials-go returned an empty AccessKey"}
	}
	a.last, a.lastAt = c, time.Now()
	return &c, nil
}

// credentialError is the adapter's failure; the SDK hands it back from DoAction
// unwrapped, so Encrypt can tell it from a transport error. Its text is scrubbed.
type credentialError struct{ msg string }

func (e *credentialError) Error() string { return e.msg }

func (a *credsAdapter) GetProviderName() string { return "credentials-go" }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// secretField matches "key": "value" and key=value pairs whose key names a secret,
// as credentials-go quotes whole response bodies and config files in some errors.
var secretField = regexp.MustCompile(`(?i)("?[a-z_-]*(?:secret|token|password)"?\s*[:=]\s*"?)([^"&,\s}]+)`)

// scrubSecrets removes known secret values and anything that looks like one, and
// keeps the message short.
func scrubSecrets(s string, known []string) string {
	for _, k := range known {
		if len(k) >= 4 {
			s = strings.ReplaceAll(s, k, "***")
		}
	}
	s = secretField.ReplaceAllString(s, "${1}***")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		cut := 400
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// credResolver walks the credential sources for New.
type credResolver struct {
	profile string   // --profile: only profiles are consulted
	looked  []string // what each absent source was and how to provide it
	secrets []string
}

// found is a source that is there; its provider is checked before it is used.
type found struct {
	source string
	p      cgproviders.CredentialsProvider
	reuse  time.Duration
	// budget > 0: the source was guessed (a probed metadata service), so a failure
	// within or past budget means "not there" rather than "broken".
	budget time.Duration
	hint   string // how to fix a failure, when more can be said than the error does
}

// step looks at one source: a *found, or nil with a note in r.looked, or an error
// when the source is there but unusable.
type step func(r *credResolver) (*found, error)

func resolveCredentials(cfg Config) (credentials.CredentialsProvider, error) {
	id, secret, token := cfg.AccessKeyID, cfg.AccessKeySecret, cfg.SecurityToken
	switch {
	case id != "" && secret != "" && token != "":
		return credentials.NewStaticSTSCredentialsProvider(id, secret, token), nil
	case id != "" && secret != "":
		return credentials.NewStaticAKCredentialsProvider(id, secret), nil
	case id != "" || secret != "" || token != "":
		return nil, configErrorf("incomplete credentials: both an AccessKey ID and an AccessKey secret are needed (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET)")
	}
	r := &credResolver{profile: strings.TrimSpace(cfg.Profile)}
	steps := []step{envStep, oidcStep, cliConfigStep, credentialsFileStep, ecsStep, uriStep}
	if r.profile != "" {
		// An explicit --profile means that profile: the environment's AccessKey, if
		// any, was meant for something else.
		steps = []step{cliConfigStep, credentialsFileStep}
	}
	for _, s := range steps {
		f, err := s(r)
		if err != nil {
			return nil, &ConfigError{Err: err}
		}
		if f == nil {
			continue
		}
		a := newCredsAdapter(f.source, f.p, r.secrets)
		a.reuse = f.reuse
		if err := r.check(a, f); err != nil {
			if f.budget > 0 {
				// err names f.source.
				r.note("%v; on ECS, attach a RAM role to the instance (and set ALIBABA_CLOUD_ECS_METADATA to its name to skip the probe)", err)
				continue
			}
			if f.hint != "" {
				return nil, configErrorf("%v; %s", err, f.hint)
			}
			return nil, configErrorf("%v", err)
		}
		return a, nil
	}
	if r.profile != "" {
		return nil, configErrorf("profile %q not found; looked, in order, at:\n%s", r.profile, r.list())
	}
	return nil, configErrorf("no Alibaba Cloud credentials found; looked, in order, at:\n%s\n(see README.md, \"Against the real service\")", r.list())
}

// check fetches credentials once, so that a bad source fails before any row is read.
func (r *credResolver) check(a *credsAdapter, f *found) error {
	if f.budget <= 0 {
		_, err := a.GetCredentials()
		return err
	}
	done := make(chan error, 1)
	go func() { _, err := a.GetCredentials(); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(f.budget):
		// The abandoned call ends on its own HTTP timeouts; a is never used.
		return fmt.Errorf("%s: no answer within %v", f.source, f.budget)
	}
}

func (r *credResolver) note(format string, a ...any) {
	r.looked = append(r.looked, fmt.Sprintf(format, a...))
}

func (r *credResolver) list() string {
	var b strings.Builder
	for i, l := range r.looked {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "  %d. %s", i+1, l)
	}
	return b.String()
}

func (r *credResolver) keep(secrets ...string) {
	for _, s := range secrets {
		if s != "" {
			r.secrets = append(r.secrets, s)
		}
	}
}

// profileName is the profile the file steps look for: --profile, else
// ALIBABA_CLOUD_PROFILE, else "" (each file's own default).
func (r *credResolver) profileName() string {
	if r.profile != "" {
		return r.profile
	}
	return strings.TrimSpace(os.Getenv("ALIBABA_CLOUD_PROFILE"))
}

func envStep(r *credResolver) (*found, error) {
	id, secret := os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	token := os.Getenv("ALIBABA_CLOUD_SECURITY_TOKEN")
	r.keep(secret, token)
	switch {
	case id != "" && secret != "" && token != "":
		p, err := cgproviders.NewStaticSTSCredentialsProviderBuilder().WithAccessKeyId(id).WithAccessKeySecret(secret).WithSecurityToken(token).Build()
		return &found{source: "environment (ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET, ALIBABA_CLOUD_SECURITY_TOKEN)", p: p}, err
	case id != "" && secret != "":
		p, err := cgproviders.NewStaticAKCredentialsProviderBuilder().WithAccessKeyId(id).WithAccessKeySecret(secret).Build()
		return &found{source: "environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET)", p: p}, err
	case id != "" || secret != "" || token != "":
		return nil, errors.New("incomplete credentials in the environment: both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are needed (plus ALIBABA_CLOUD_SECURITY_TOKEN for STS)")
	}
	r.note("environment: ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET not set; export both (plus ALIBABA_CLOUD_SECURITY_TOKEN for STS credentials)")
	return nil, nil
}

func oidcStep(r *credResolver) (*found, error) {
	role, prov := os.Getenv("ALIBABA_CLOUD_ROLE_ARN"), os.Getenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN")
	file, token := os.Getenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE"), os.Getenv("ALIBABA_CLOUD_OIDC_TOKEN")
	r.keep(token)
	if prov == "" && file == "" && token == "" {
		// ALIBABA_CLOUD_ROLE_ARN alone may be meant for another tool.
		r.note("OIDC role (RRSA): ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE, ALIBABA_CLOUD_ROLE_ARN not set; ACK sets them in a pod with RRSA, or set all three")
		return nil, nil
	}
	var missing []string
	if role == "" {
		missing = append(missing, "ALIBABA_CLOUD_ROLE_ARN")
	}
	if prov == "" {
		missing = append(missing, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN")
	}
	if file == "" && token == "" {
		missing = append(missing, "ALIBABA_CLOUD_OIDC_TOKEN_FILE")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("incomplete OIDC role settings in the environment: %s not set", strings.Join(missing, ", "))
	}
	p, err := cgproviders.NewOIDCCredentialsProviderBuilder().Build()
	if err != nil {
		return nil, fmt.Errorf("OIDC role from the environment: %w", err)
	}
	return &found{source: "OIDC role " + role + " (environment)", p: p}, nil
}

// cliProfile is what this package reads of an aliyun CLI profile: enough to pick a
// provider and to know which values are secrets. credentials-go reads it again.
type cliProfile struct {
	Name              string `json:"name"`
	Mode              string `json:"mode"`
	AccessKeyID       string `json:"access_key_id"`
	AccessKeySecret   string `json:"access_key_secret"`
	StsToken          string `json:"sts_token"`
	RoleName          string `json:"ram_role_name"`
	ProcessCommand    string `json:"process_command"`
	CredentialsURI    string `json:"credentials_uri"`
	AccessToken       string `json:"access_token"`
	OAuthAccessToken  string `json:"oauth_access_token"`
	OAuthRefreshToken string `json:"oauth_refresh_token"`
	OIDCToken         string `json:"oidc_token"`
}

type cliConfig struct {
	Current  string        `json:"current"`
	Profiles []*cliProfile `json:"profiles"`
}

func homeFile(rel string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no home directory to find %s in: %w", rel, err)
	}
	return filepath.Join(home, rel), nil
}

// configPath: the file an environment variable names (which must then exist), or
// the default under the home directory.
func configPath(env, rel string) (path string, named bool, err error) {
	if p := os.Getenv(env); p != "" {
		return p, true, nil
	}
	p, err := homeFile(rel)
	return p, false, err
}

func cliConfigStep(r *credResolver) (*found, error) {
	if strings.EqualFold(os.Getenv("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"), "true") {
		r.note("aliyun CLI config: skipped, ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true; unset it to use ~/.aliyun/config.json")
		return nil, nil
	}
	path, named, err := configPath("ALIBABA_CLOUD_CONFIG_FILE", filepath.Join(".aliyun", "config.json"))
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !named:
		r.note("aliyun CLI config %s: no such file; run `aliyun configure` (any --mode: AK, StsToken, RamRoleArn, CloudSSO, OAuth, External...), or point ALIBABA_CLOUD_CONFIG_FILE at a config.json", path)
		return nil, nil
	case err != nil && named:
		return nil, fmt.Errorf("aliyun CLI config named by ALIBABA_CLOUD_CONFIG_FILE: %w", err)
	case err != nil:
		return nil, fmt.Errorf("aliyun CLI config: %w", err)
	}
	var conf cliConfig
	if err := json.Unmarshal(data, &conf); err != nil {
		// Never quote the file: it holds secrets. json's errors quote no values.
		return nil, fmt.Errorf("aliyun CLI config %s is not valid JSON: %v", path, err)
	}
	var names []string
	for _, p := range conf.Profiles {
		names = append(names, p.Name)
		r.keep(p.AccessKeySecret, p.StsToken, p.AccessToken, p.OAuthAccessToken, p.OAuthRefreshToken, p.OIDCToken)
	}
	name := r.profileName()
	how := "--profile"
	if r.profile == "" && name != "" {
		how = "ALIBABA_CLOUD_PROFILE"
	}
	if name == "" {
		name, how = conf.Current, "the current profile"
	}
	if name == "" {
		r.note("aliyun CLI config %s: no current profile; pick one with --profile or ALIBABA_CLOUD_PROFILE (profiles there: %s)", path, listNames(names))
		return nil, nil
	}
	var p *cliProfile
	for _, q := range conf.Profiles {
		if q.Name == name {
			p = q
			break
		}
	}
	if p == nil {
		r.note("aliyun CLI config %s: no profile %q (%s; profiles there: %s); create it with `aliyun configure --profile %s`", path, name, how, listNames(names), name)
		return nil, nil
	}
	source := fmt.Sprintf("aliyun CLI profile %q (mode %s) in %s", p.Name, p.Mode, path)
	if p.Mode == "AK" && p.AccessKeyID == "" && p.AccessKeySecret == "" {
		// An AccessKey profile without any key configures nothing: go on looking
		// rather than fail on a placeholder.
		r.note("aliyun CLI config %s: profile %q (%s) has mode AK but no AccessKey; run `aliyun configure --profile %s`", path, p.Name, how, p.Name)
		return nil, nil
	}
	return cliProfileProvider(r, p, path, source)
}

// cliProfileProvider builds the credentials provider for one aliyun CLI profile,
// by its mode; a mode dytnsbatch cannot use is an error naming the profile.
func cliProfileProvider(r *credResolver, p *cliProfile, path, source string) (*found, error) {
	var err error
	f := &found{source: source}
	if p.Mode == "CloudSSO" || p.Mode == "OAuth" {
		f.hint = fmt.Sprintf("log in again with `aliyun configure --profile %s --mode %s`", p.Name, p.Mode)
	}
	switch p.Mode {
	case "AK", "StsToken", "RamRoleArn", "ChainableRamRoleArn", "OIDC", "CloudSSO", "OAuth":
		// credentials-go's own reading of the profile. For OAuth it writes refreshed
		// tokens back to the file, as the CLI does, so that the CLI stays logged in.
		f.p, err = cgproviders.NewCLIProfileCredentialsProviderBuilder().WithProfileFile(path).WithProfileName(p.Name).Build()
	case "EcsRamRole":
		// Built here rather than by credentials-go's profile reader, to bound the
		// metadata calls (see imdsConnectTimeoutMS).
		f.p, err = newECSProvider(p.RoleName)
	case "External":
		// Built here without credentials-go's write-back of every answer into the
		// config file (its rewrite keeps only the fields credentials-go knows).
		f.p, err = cgproviders.NewExternalCredentialsProviderBuilder().WithProcessCommand(p.ProcessCommand).Build()
		f.reuse = externalReuse
	case "CredentialsURI":
		r.keep(p.CredentialsURI) // it may carry a token
		// The CLI knows this mode; credentials-go's profile reader does not, but its
		// URI provider does the work.
		f.p, err = cgproviders.NewURLCredentialsProviderBuilder().WithUrl(p.CredentialsURI).Build()
	default:
		return nil, fmt.Errorf("aliyun CLI profile %q in %s has mode %q, which dytnsbatch cannot use (it supports %s): reconfigure it with `aliyun configure --profile %s --mode MODE`, or pick another profile with --profile", p.Name, path, p.Mode, supportedModes, p.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s", source, scrubSecrets(err.Error(), r.secrets))
	}
	return f, nil
}

func listNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	s := append([]string(nil), names...)
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func credentialsFileStep(r *credResolver) (*found, error) {
	path, named, err := configPath("ALIBABA_CLOUD_CREDENTIALS_FILE", filepath.Join(".alibabacloud", "credentials"))
	if err != nil {
		return nil, err
	}
	name := r.profileName()
	if name == "" {
		name = "default"
	}
	file, err := ini.Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !named:
		r.note("credentials file %s: no such file; create it with a [%s] section (type = access_key, access_key_id, access_key_secret), or point ALIBABA_CLOUD_CREDENTIALS_FILE at one", path, name)
		return nil, nil
	case err != nil && named:
		return nil, fmt.Errorf("credentials file named by ALIBABA_CLOUD_CREDENTIALS_FILE: %s", scrubSecrets(err.Error(), r.secrets))
	case err != nil:
		return nil, fmt.Errorf("credentials file %s: %s", path, scrubSecrets(err.Error(), r.secrets))
	}
	for _, s := range file.Sections() {
		r.keep(s.Key("access_key_secret").String())
	}
	sec, err := file.GetSection(name)
	if err != nil {
		r.note("credentials file %s: no [%s] section (sections there: %s); add one, or name another with --profile or ALIBABA_CLOUD_PROFILE", path, name, listNames(file.SectionStrings()[1:]))
		return nil, nil
	}
	typ := sec.Key("type").String()
	f := &found{source: fmt.Sprintf("credentials file %s [%s] (type %s)", path, name, typ)}
	switch typ {
	case "access_key", "ram_role_arn":
		// credentials-go reads the same file: it follows the same environment variable.
		f.p, err = cgproviders.NewProfileCredentialsProviderBuilder().WithProfileName(name).Build()
	case "ecs_ram_role":
		f.p, err = newECSProvider(sec.Key("role_name").String())
	default:
		return nil, fmt.Errorf("credentials file %s: section [%s] has type %q; credentials-go reads access_key, ram_role_arn and ecs_ram_role", path, name, typ)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s", f.source, scrubSecrets(err.Error(), r.secrets))
	}
	return f, nil
}

func newECSProvider(role string) (cgproviders.CredentialsProvider, error) {
	return cgproviders.NewECSRAMRoleCredentialsProviderBuilder().
		WithRoleName(role).
		WithHttpOptions(&cgproviders.HttpOptions{ConnectTimeout: imdsConnectTimeoutMS, ReadTimeout: imdsReadTimeoutMS, Proxy: imdsProxy}).
		Build()
}

func ecsStep(r *credResolver) (*found, error) {
	if strings.EqualFold(os.Getenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED"), "true") {
		r.note("ECS instance RAM role: skipped, ALIBABA_CLOUD_ECS_METADATA_DISABLED=true")
		return nil, nil
	}
	role := os.Getenv("ALIBABA_CLOUD_ECS_METADATA")
	f := &found{source: "ECS instance RAM role " + role + " (ALIBABA_CLOUD_ECS_METADATA)"}
	if role == "" {
		conn, err := net.DialTimeout("tcp", imdsProbeAddr, imdsProbeTimeout)
		if err != nil {
			r.note("ECS instance RAM role: ALIBABA_CLOUD_ECS_METADATA not set and no metadata service at 100.100.100.200 (no connection within %v); on ECS, attach a RAM role to the instance and set ALIBABA_CLOUD_ECS_METADATA to its name", imdsProbeTimeout)
			return nil, nil
		}
		conn.Close()
		f.source, f.budget = "ECS instance RAM role: ALIBABA_CLOUD_ECS_METADATA not set, something answers at 100.100.100.200", imdsProbedBudget
	}
	p, err := newECSProvider(role)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.source, err)
	}
	f.p = p
	return f, nil
}

func uriStep(r *credResolver) (*found, error) {
	uri := os.Getenv("ALIBABA_CLOUD_CREDENTIALS_URI")
	r.keep(uri) // it may carry a token: credentials-go's errors quote it
	if uri == "" {
		r.note("credentials URI: ALIBABA_CLOUD_CREDENTIALS_URI not set; point it at a local service that answers AccessKeyId, AccessKeySecret, SecurityToken, Expiration")
		return nil, nil
	}
	p, err := cgproviders.NewURLCredentialsProviderBuilder().WithUrl(uri).Build()
	if err != nil {
		return nil, fmt.Errorf("credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI): %w", err)
	}
	return &found{source: "credentials URI (ALIBABA_CLOUD_CREDENTIALS_URI)", p: p}, nil
}
