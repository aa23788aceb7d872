package gazette_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gazette "libgazette.dev/gazette"
)

// A throwaway cluster key (not a secret: it guards only test brokers).
const authKey = "Z28tYmluZGluZy10ZXN0LWtleQ=="

func devBrokerBin() string {
	if bin := os.Getenv("GAZETTE_DEVBROKER"); bin != "" {
		return bin
	}
	bin, _ := filepath.Abs("../../target/debug/gazette-devbroker")
	return bin
}

// certs writes a fresh CA, server and client certificate set (and the
// failure cases') with the dev broker's --tls-generate, once per run.
var (
	certsOnce sync.Once
	certsDir  string
	certsErr  error
)

func certs(t *testing.T) string {
	t.Helper()
	certsOnce.Do(func() {
		certsDir, certsErr = os.MkdirTemp("", "gazette-go-tls")
		if certsErr == nil {
			var out []byte
			out, certsErr = exec.Command(devBrokerBin(), "--tls-generate", certsDir).CombinedOutput()
			if certsErr != nil {
				certsErr = fmt.Errorf("--tls-generate: %v: %s", certsErr, out)
			}
		}
	})
	if certsErr != nil {
		t.Fatal(certsErr)
	}
	return certsDir
}

func pem(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(certs(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// secureBroker starts a dev broker of its own serving TLS (with
// --tls-client-ca when mutual) and, with auth, verifying tokens signed with
// authKey. It is stopped when the test ends. Skipped against a real broker.
func secureBroker(t *testing.T, mutual, auth bool) string {
	t.Helper()
	if os.Getenv("GAZETTE_TEST_BROKER") != "" {
		t.Skip("needs the dev broker's TLS / --auth-keys modes (GAZETTE_TEST_BROKER is set)")
	}
	dir := certs(t)
	store := t.TempDir()
	args := []string{"--store", store, "--assign-delay-ms", "0",
		"--tls-cert", filepath.Join(dir, "server.pem"), "--tls-key", filepath.Join(dir, "server-key.pem")}
	if mutual {
		args = append(args, "--tls-client-ca", filepath.Join(dir, "ca.pem"))
	}
	if auth {
		args = append(args, "--auth-keys", authKey)
	}
	cmd := exec.Command(devBrokerBin(), args...)
	stdin, _ := cmd.StdinPipe() // the broker exits when this closes
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		t.Fatal("dev broker did not start:", err)
	}
	var ready struct {
		Endpoints []string `json:"endpoints"`
	}
	if err := json.Unmarshal(line, &ready); err != nil || len(ready.Endpoints) == 0 {
		t.Fatalf("unexpected dev broker line %q: %v", line, err)
	}
	if !strings.HasPrefix(ready.Endpoints[0], "https://") {
		t.Fatalf("expected an https:// endpoint, got %s", ready.Endpoints[0])
	}
	return ready.Endpoints[0]
}

func secureClient(t *testing.T, cfg gazette.Config) *gazette.Client {
	t.Helper()
	cl, err := gazette.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close(context.Background()) })
	return cl
}

// roundTrip creates a journal, appends to it and reads the bytes back.
func roundTrip(t *testing.T, cl *gazette.Client) {
	t.Helper()
	ctx := testCtx(t)
	j := newJournal(t, cl)
	data := []byte("over TLS\n")
	begin, end, err := cl.Append(ctx, j, data, nil)
	if err != nil {
		t.Fatal("append:", err)
	}
	r, err := cl.NewReader(ctx, j, &gazette.ReadOptions{Offset: begin, EndOffset: end, Block: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != string(data) {
		t.Fatalf("read back %q, %v; want %q", got, err, data)
	}
}

// rejected checks that a listing with a client certificate the broker's CA
// did not issue fails with ErrTLSClientCertificateRejected. Under TLS 1.3 the
// broker's refusal comes after the client's side of the handshake and races
// the first request; the library names it however the race goes.
func rejected(t *testing.T, cl *gazette.Client) {
	t.Helper()
	_, err := cl.ListJournals(testCtx(t), "")
	if !errors.Is(err, gazette.ErrTLSClientCertificateRejected) || !strings.Contains(err.Error(), "Config.TLSClientCertPEM") {
		t.Fatalf("got %v, want %v", err, gazette.ErrTLSClientCertificateRejected)
	}
}

// expectErr lists journals: the error must be want, and say hint.
func expectErr(t *testing.T, cl *gazette.Client, want error, hint string) {
	t.Helper()
	_, err := cl.ListJournals(testCtx(t), "")
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	if !strings.Contains(err.Error(), hint) {
		t.Fatalf("%q does not say what to fix (%q)", err, hint)
	}
}

// sign makes an HS256 JWT of claims cap, an everything selector, iat, exp
// and a jti, as a broker's --auth-keys verify.
func sign(t *testing.T, key string, caps gazette.Capability, exp time.Time, jti int64) string {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]interface{}{
		"cap": uint32(caps), "sel": map[string]interface{}{},
		"iat": time.Now().Unix(), "exp": exp.Unix(), "jti": jti,
	})
	input := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64.EncodeToString(claims)
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(input))
	return input + "." + b64.EncodeToString(mac.Sum(nil))
}

const allCaps = gazette.CapList | gazette.CapApply | gazette.CapRead | gazette.CapAppend

func TestTLSRoundTripAndFailures(t *testing.T) {
	ep := secureBroker(t, false, false)
	dir := certs(t)
	// The CA from a file; then from PEM with the server name set.
	roundTrip(t, secureClient(t, gazette.Config{Endpoints: []string{ep}, TLSCAFile: filepath.Join(dir, "ca.pem")}))
	roundTrip(t, secureClient(t, gazette.Config{Endpoints: []string{ep}, TLSCAPEM: pem(t, "ca.pem"), TLSServerName: "localhost"}))

	// No CA (the system store), and the wrong one.
	expectErr(t, secureClient(t, gazette.Config{Endpoints: []string{ep}}), gazette.ErrTLSUntrustedCertificate, "Config.TLSCAFile")
	expectErr(t, secureClient(t, gazette.Config{Endpoints: []string{ep}, TLSCAPEM: pem(t, "other-ca.pem")}),
		gazette.ErrTLSUntrustedCertificate, "Config.TLSCAFile")
	// A name the certificate does not list.
	expectErr(t, secureClient(t, gazette.Config{Endpoints: []string{ep}, TLSCAPEM: pem(t, "ca.pem"), TLSServerName: "not-the-broker.example"}),
		gazette.ErrTLSWrongHost, "Config.TLSServerName")
}

func TestMutualTLSAndKeyedAuth(t *testing.T) {
	ep := secureBroker(t, true, true)
	base := func() gazette.Config {
		return gazette.Config{Endpoints: []string{ep}, TLSCAPEM: pem(t, "ca.pem"),
			TLSClientCertPEM: pem(t, "client.pem"), TLSClientKeyPEM: pem(t, "client-key.pem")}
	}
	cfg := base()
	cfg.AuthKeys = authKey
	roundTrip(t, secureClient(t, cfg))
	cfg.AuthTokenLifetime = 10 * time.Minute
	roundTrip(t, secureClient(t, cfg))

	// No client certificate; one the broker's CA did not issue.
	cfg = base()
	cfg.AuthKeys = authKey
	cfg.TLSClientCertPEM, cfg.TLSClientKeyPEM = nil, nil
	expectErr(t, secureClient(t, cfg), gazette.ErrTLSClientCertificateRequired, "Config.TLSClientCertPEM")
	cfg.TLSClientCertPEM, cfg.TLSClientKeyPEM = pem(t, "rogue-client.pem"), pem(t, "rogue-client-key.pem")
	rejected(t, secureClient(t, cfg))

	// No token; the wrong key; a token that is not a JWT; an expired one.
	expectErr(t, secureClient(t, base()), gazette.ErrAuthTokenMissing, "Config.AuthKeys")
	cfg = base()
	cfg.AuthKeys = "b3RoZXIta2V5"
	expectErr(t, secureClient(t, cfg), gazette.ErrAuthTokenInvalid, "Config.AuthKeys")
	cfg = base()
	cfg.BearerToken = "not-a-jwt"
	expectErr(t, secureClient(t, cfg), gazette.ErrAuthTokenInvalid, "Config.AuthKeys")
	cfg.BearerToken = sign(t, authKey, allCaps, time.Now().Add(-time.Hour), 1)
	expectErr(t, secureClient(t, cfg), gazette.ErrAuthTokenExpired, "Config.TokenProvider")

	// Bad settings are refused at NewClient.
	cfg = base()
	cfg.AuthKeys = "not base64!"
	if _, err := gazette.NewClient(cfg); !errors.Is(err, gazette.ErrInvalidArgument) {
		t.Fatalf("bad auth keys: %v", err)
	}
	cfg = base()
	cfg.TLSClientKeyPEM = []byte("not a key")
	if _, err := gazette.NewClient(cfg); !errors.Is(err, gazette.ErrInvalidArgument) {
		t.Fatalf("bad client key: %v", err)
	} else if strings.Contains(err.Error(), "not a key") {
		t.Fatalf("the error shows the key: %v", err)
	}
}

func TestTokenProviderRotatesTokens(t *testing.T) {
	ep := secureBroker(t, true, true)
	var mu sync.Mutex
	var asked []gazette.TokenRequest
	tokens := map[string]bool{}
	var n int64
	cfg := gazette.Config{Endpoints: []string{ep}, TLSCAPEM: pem(t, "ca.pem"),
		TLSClientCertPEM: pem(t, "client.pem"), TLSClientKeyPEM: pem(t, "client-key.pem"),
		AuthTokenLifetime: 7 * time.Minute,
		TokenProvider: func(req gazette.TokenRequest) (gazette.Token, error) {
			tok := sign(t, authKey, req.Capability, time.Now().Add(req.Lifetime), atomic.AddInt64(&n, 1))
			mu.Lock()
			asked = append(asked, req)
			tokens[tok] = true
			mu.Unlock()
			// Usable for 1 ms: every later RPC asks for a new token.
			return gazette.Token{Token: tok, ValidFor: time.Millisecond}, nil
		}}
	cl := secureClient(t, cfg)
	roundTrip(t, cl)
	before := atomic.LoadInt64(&n)
	for i := 0; i < 3; i++ {
		if _, err := cl.ListJournals(testCtx(t), ""); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got := atomic.LoadInt64(&n) - before; got < 3 || len(tokens) != int(atomic.LoadInt64(&n)) {
		t.Fatalf("3 listings asked for %d tokens (%d distinct of %d): not rotated", got, len(tokens), n)
	}
	var sawAppend bool
	for _, req := range asked {
		if req.Lifetime != 7*time.Minute {
			t.Fatalf("asked for a %v token, want the configured 7m", req.Lifetime)
		}
		if req.Capability&gazette.CapAppend != 0 {
			sawAppend = strings.HasPrefix(req.Selector, "name=go-test/")
		}
	}
	if !sawAppend {
		t.Fatalf("no APPEND token scoped to the journal among %+v", asked)
	}
}

func TestTokenProviderFailures(t *testing.T) {
	ep := secureBroker(t, true, true)
	base := func(p gazette.TokenProvider) gazette.Config {
		return gazette.Config{Endpoints: []string{ep}, TLSCAPEM: pem(t, "ca.pem"),
			TLSClientCertPEM: pem(t, "client.pem"), TLSClientKeyPEM: pem(t, "client-key.pem"), TokenProvider: p}
	}
	expectErr(t, secureClient(t, base(func(gazette.TokenRequest) (gazette.Token, error) {
		return gazette.Token{}, errors.New("the authorization service is down")
	})), gazette.ErrAuthTokenProvider, "returned 1")
	expectErr(t, secureClient(t, base(func(gazette.TokenRequest) (gazette.Token, error) {
		panic("provider bug")
	})), gazette.ErrAuthTokenProvider, "returned 2")
	expectErr(t, secureClient(t, base(func(gazette.TokenRequest) (gazette.Token, error) {
		return gazette.Token{}, nil // no token
	})), gazette.ErrAuthTokenProvider, "returned 3")
	// A token granting READ only, for a listing (LIST).
	expectErr(t, secureClient(t, base(func(req gazette.TokenRequest) (gazette.Token, error) {
		return gazette.Token{Token: sign(t, authKey, gazette.CapRead, time.Now().Add(time.Minute), 1)}, nil
	})), gazette.ErrAuthCapabilityMissing, "Capability")
}

// A provider call still under way when its client is closed and freed (its
// handle deleted) finishes without harm, and the pending call fails.
func TestTokenProviderOutlivedByItsCall(t *testing.T) {
	ep := secureBroker(t, true, true)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	cl, err := gazette.NewClient(gazette.Config{Endpoints: []string{ep}, TLSCAPEM: pem(t, "ca.pem"),
		TLSClientCertPEM: pem(t, "client.pem"), TLSClientKeyPEM: pem(t, "client-key.pem"),
		TokenProvider: func(req gazette.TokenRequest) (gazette.Token, error) {
			once.Do(func() { close(entered) })
			<-release
			return gazette.Token{Token: sign(t, authKey, req.Capability, time.Now().Add(time.Minute), 1)}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	listed := make(chan error, 1)
	go func() {
		_, err := cl.ListJournals(testCtx(t), "")
		listed <- err
	}()
	<-entered
	done, cancel := context.WithCancel(context.Background())
	cancel()
	cl.Close(done) // closes and frees at once: the handle is deleted under the running call
	close(release)
	if err := <-listed; err == nil {
		t.Fatal("a listing of a closed client succeeded")
	}
}
