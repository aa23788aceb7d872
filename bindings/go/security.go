package gazette

/*
#include <stdint.h>
#include <stdlib.h>
#include <gazette.h>

// The trampoline exported by token.go (cgo's own declaration of it is in
// _cgo_export.h, which this file can't include).
extern int32_t gazetteGoTokenProvider(void *, uint32_t, char *, size_t, int64_t, gazette_token *);

// Installs the trampoline with a cgo.Handle as userdata: C holds an integer,
// never a Go pointer.
static gazette_status gazette_go_set_token_provider(gazette_config *cfg, uintptr_t handle, gazette_error **err) {
	return gazette_config_set_token_provider(cfg, (gazette_token_provider_fn)gazetteGoTokenProvider, (void *)handle, err);
}
*/
import "C"

import (
	"runtime/cgo"
	"time"
	"unsafe"
)

// Capability is a mask of Gazette's authorization capabilities, as carried in
// a token's `cap` claim.
type Capability uint32

// Gazette's capabilities (broker/protocol/auth.go).
const (
	CapList      Capability = 1 << 1
	CapApply     Capability = 1 << 2
	CapRead      Capability = 1 << 3
	CapAppend    Capability = 1 << 4
	CapReplicate Capability = 1 << 5
)

// TokenRequest is what a TokenProvider is asked for: a token granting
// Capability over the journals of Selector (Gazette's text form of a label
// selector, e.g. "name=a/journal"; empty: all journals), wanted for about
// Lifetime.
type TokenRequest struct {
	Capability Capability
	Selector   string
	Lifetime   time.Duration
}

// Token is a TokenProvider's answer: the bearer token (usually a JWT) and
// how long from now it may be used (0: the JWT's `exp`, or else the
// Lifetime asked for). The library reuses it for the same claims until half
// of that has passed, then asks again: that is how tokens rotate.
type Token struct {
	Token    string
	ValidFor time.Duration
}

// TokenProvider returns tokens from the application's own authorization
// service. It is called on one of the library's threads, possibly on
// several at once, never under a library lock; it may block (to fetch a
// token) but must not call the same Client. An error (or a panic, which is
// recovered) fails the RPC with ErrAuthTokenProvider; the error's text is
// not passed on (it could hold a secret): the library's message names the
// code the trampoline returned (1: an error, 2: a panic, 3: the token was
// empty or not a valid header value, 4: the client was already freed).
type TokenProvider func(TokenRequest) (Token, error)

const (
	tokenErr     = 1
	tokenPanic   = 2
	tokenRefused = 3
	tokenGone    = 4
)

// setSecurity applies cfg's TLS and authorization options to c. The
// returned handle (0 if none) keeps the token provider reachable for C and
// must be deleted once every client built from c is freed.
func (cfg *Config) setSecurity(c *C.gazette_config) (cgo.Handle, error) {
	var e *C.gazette_error
	set := func(s C.gazette_status) error { return takeErr(s, e) }
	str := func(f func(*C.char, C.size_t) C.gazette_status, v string) error {
		p, n := cstr(v)
		defer C.free(unsafe.Pointer(p))
		return set(f(p, n))
	}
	if cfg.TLSCAFile != "" {
		if err := str(func(p *C.char, n C.size_t) C.gazette_status { return C.gazette_config_set_tls_ca_file(c, p, n, &e) }, cfg.TLSCAFile); err != nil {
			return 0, err
		}
	}
	if len(cfg.TLSCAPEM) > 0 {
		if err := str(func(p *C.char, n C.size_t) C.gazette_status { return C.gazette_config_set_tls_ca_pem(c, p, n, &e) }, string(cfg.TLSCAPEM)); err != nil {
			return 0, err
		}
	}
	if len(cfg.TLSClientCertPEM) > 0 || len(cfg.TLSClientKeyPEM) > 0 {
		cp, cn := cstr(string(cfg.TLSClientCertPEM))
		defer C.free(unsafe.Pointer(cp))
		kp, kn := cstr(string(cfg.TLSClientKeyPEM))
		defer C.free(unsafe.Pointer(kp))
		if err := set(C.gazette_config_set_tls_client_cert(c, cp, cn, kp, kn, &e)); err != nil {
			return 0, err
		}
	}
	if cfg.TLSServerName != "" {
		if err := str(func(p *C.char, n C.size_t) C.gazette_status { return C.gazette_config_set_tls_server_name(c, p, n, &e) }, cfg.TLSServerName); err != nil {
			return 0, err
		}
	}
	if cfg.AuthKeys != "" {
		if err := str(func(p *C.char, n C.size_t) C.gazette_status { return C.gazette_config_set_auth_keys(c, p, n, &e) }, cfg.AuthKeys); err != nil {
			return 0, err
		}
	}
	if cfg.AuthTokenLifetime != 0 {
		ms := int64(cfg.AuthTokenLifetime / time.Millisecond)
		if ms == 0 && cfg.AuthTokenLifetime > 0 {
			ms = 1
		}
		if err := set(C.gazette_config_set_auth_token_lifetime_ms(c, C.int64_t(ms), &e)); err != nil {
			return 0, err
		}
	}
	if cfg.TokenProvider == nil {
		return 0, nil
	}
	h := cgo.NewHandle(cfg.TokenProvider)
	if err := set(C.gazette_go_set_token_provider(c, C.uintptr_t(h), &e)); err != nil {
		h.Delete()
		return 0, err
	}
	return h, nil
}
