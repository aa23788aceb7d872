package gazette

/*
#include <stdlib.h>
#include <gazette.h>
*/
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// Config configures a Client. Only Endpoints is required.
type Config struct {
	Endpoints      []string // broker URLs, e.g. "http://127.0.0.1:8080"
	Zone           string   // this client's zone: reads prefer brokers in it
	ConnectTimeout time.Duration
	RequestTimeout time.Duration
	BearerToken    string
	FileRoot       string // directory behind file:/// fragment stores, for direct reads
	WorkerThreads  int

	// TLS, for https:// endpoints (and https:// fragment URLs of direct
	// reads). The CA bundle (a file, or PEM text; both may be given)
	// replaces the system trust store.
	TLSCAFile string
	TLSCAPEM  []byte
	// A client certificate chain and its private key (PEM), for brokers
	// that require client certificates (mutual TLS). The key appears in no
	// error or log line.
	TLSClientCertPEM []byte
	TLSClientKeyPEM  []byte
	// The name brokers' certificates are verified against, instead of the
	// host of the endpoint dialed.
	TLSServerName string

	// Authorization (Gazette's JWTs). Precedence: TokenProvider, then
	// AuthKeys, then BearerToken.
	//
	// AuthKeys are the cluster's --auth-keys (base64 keys separated by
	// commas or spaces, a secret): the client signs a short-lived token for
	// every RPC with the first.
	AuthKeys string
	// AuthTokenLifetime is the lifetime of every token signed or asked for,
	// instead of the Go client's (an hour for reads and watches, a minute
	// for the rest).
	AuthTokenLifetime time.Duration
	// TokenProvider supplies the application's own tokens (see its type).
	TokenProvider TokenProvider
}

// Client is a connection to a Gazette broker cluster. Safe for concurrent use.
// Close it when done; an unclosed Client is freed by its finalizer.
type Client struct {
	c        *C.gazette_client
	q        *queue
	close    sync.Once
	provider cgo.Handle // of Config.TokenProvider; 0 if none
}

func (cfg *Config) build() (*C.gazette_config, cgo.Handle, error) {
	c := C.gazette_config_new()
	ok := false
	var provider cgo.Handle
	defer func() {
		if !ok {
			C.gazette_config_free(c)
			if provider != 0 {
				provider.Delete()
			}
		}
	}()
	var e *C.gazette_error
	set := func(s C.gazette_status) error { return takeErr(s, e) }
	str := func(f func(*C.char, C.size_t) C.gazette_status, v string) error {
		p, n := cstr(v)
		defer C.free(unsafe.Pointer(p))
		return set(f(p, n))
	}
	for _, ep := range cfg.Endpoints {
		if err := str(func(p *C.char, n C.size_t) C.gazette_status { return C.gazette_config_add_endpoint(c, p, n, &e) }, ep); err != nil {
			return nil, 0, err
		}
	}
	if cfg.Zone != "" {
		if err := str(func(p *C.char, n C.size_t) C.gazette_status { return C.gazette_config_set_zone(c, p, n, &e) }, cfg.Zone); err != nil {
			return nil, 0, err
		}
	}
	if cfg.BearerToken != "" {
		if err := str(func(p *C.char, n C.size_t) C.gazette_status { return C.gazette_config_set_bearer_token(c, p, n, &e) }, cfg.BearerToken); err != nil {
			return nil, 0, err
		}
	}
	if cfg.FileRoot != "" {
		if err := str(func(p *C.char, n C.size_t) C.gazette_status { return C.gazette_config_set_file_root(c, p, n, &e) }, cfg.FileRoot); err != nil {
			return nil, 0, err
		}
	}
	if cfg.ConnectTimeout > 0 {
		if err := set(C.gazette_config_set_connect_timeout_ms(c, C.int64_t(cfg.ConnectTimeout/time.Millisecond), &e)); err != nil {
			return nil, 0, err
		}
	}
	if cfg.RequestTimeout > 0 {
		if err := set(C.gazette_config_set_request_timeout_ms(c, C.int64_t(cfg.RequestTimeout/time.Millisecond), &e)); err != nil {
			return nil, 0, err
		}
	}
	if cfg.WorkerThreads > 0 {
		if err := set(C.gazette_config_set_worker_threads(c, C.size_t(cfg.WorkerThreads), &e)); err != nil {
			return nil, 0, err
		}
	}
	var err error
	if provider, err = cfg.setSecurity(c); err != nil {
		return nil, 0, err
	}
	ok = true
	return c, provider, nil
}

// NewClient connects lazily to cfg's brokers.
func NewClient(cfg Config) (*Client, error) {
	c, provider, err := cfg.build()
	if err != nil {
		return nil, err
	}
	defer C.gazette_config_free(c)
	var out *C.gazette_client
	var e *C.gazette_error
	if err := takeErr(C.gazette_client_new(c, &out, &e), e); err != nil {
		deleteHandle(provider)
		return nil, err
	}
	q, err := newQueue()
	if err != nil {
		C.gazette_client_free(out)
		deleteHandle(provider)
		return nil, err
	}
	track(kindClient)
	cl := &Client{c: out, q: q, provider: provider}
	runtime.SetFinalizer(cl, func(cl *Client) { cl.release() })
	return cl, nil
}

func (cl *Client) release() {
	cl.close.Do(func() {
		cl.q.stop()
		untrack(kindClient)
		C.gazette_client_free(cl.c)
		deleteHandle(cl.provider)
	})
}

// deleteHandle releases a token provider's handle once its client is freed
// (no new call can start; a late one finds no handle and fails).
func deleteHandle(h cgo.Handle) {
	if h != 0 {
		h.Delete()
	}
}

// Close closes the client and frees it: its work ends and children
// (readers, appenders, ...) report ErrClosed afterwards. It waits for the
// library's threads to stop in short slices while ctx lasts; if ctx ends
// first (or had ended), it stops waiting and returns ctx.Err(), the client
// being closed and freed all the same.
func (cl *Client) Close(ctx context.Context) error {
	var err error
	cl.close.Do(func() {
		if err = ctx.Err(); err != nil {
			var e *C.gazette_error
			takeErr(C.gazette_client_close(cl.c, 0, &e), e) // closes without waiting
		}
		for err == nil {
			var e *C.gazette_error
			st := C.gazette_client_close(cl.c, sliceMs(ctx), &e)
			if st != C.GAZETTE_STATUS_TIMED_OUT {
				err = takeErr(st, e)
				break
			}
			takeErr(st, e) // closing again resumes the wait
			err = ctx.Err()
		}
		cl.q.stop()
		untrack(kindClient)
		C.gazette_client_free(cl.c)
		deleteHandle(cl.provider)
		runtime.SetFinalizer(cl, nil)
	})
	return err
}

// Stat returns the client counter of the given name (see gazette_client_stat).
func (cl *Client) Stat(name string) (uint64, error) {
	p, n := cstr(name)
	defer C.free(unsafe.Pointer(p))
	var v C.uint64_t
	var e *C.gazette_error
	err := takeErr(C.gazette_client_stat(cl.c, p, n, &v, &e), e)
	runtime.KeepAlive(cl)
	return uint64(v), err
}
