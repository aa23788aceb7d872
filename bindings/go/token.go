package gazette

/*
#include <gazette.h>
*/
import "C"

import (
	"runtime/cgo"
	"time"
	"unsafe"
)

// gazetteGoTokenProvider is the C token provider of every Client with a
// TokenProvider: userdata is the cgo.Handle of the Go func. It runs on a
// library thread; nothing of Go is kept by C beyond the call. A panic (of
// the provider, or of a handle deleted because the client was freed while
// a late call was under way) is recovered and fails the RPC: a Go panic
// must never unwind into the library.
//
//export gazetteGoTokenProvider
func gazetteGoTokenProvider(userdata unsafe.Pointer, capability C.uint32_t, selector *C.char, selectorLen C.size_t, lifetimeMs C.int64_t, out *C.gazette_token) (rc C.int32_t) {
	var fn TokenProvider
	func() {
		defer func() {
			if recover() != nil {
				fn = nil
			}
		}()
		fn, _ = cgo.Handle(uintptr(userdata)).Value().(TokenProvider)
	}()
	if fn == nil {
		return tokenGone
	}
	defer func() {
		if recover() != nil {
			rc = tokenPanic
		}
	}()
	req := TokenRequest{
		Capability: Capability(capability),
		Lifetime:   time.Duration(lifetimeMs) * time.Millisecond,
	}
	if selectorLen > 0 {
		req.Selector = C.GoStringN(selector, C.int(selectorLen))
	}
	tok, err := fn(req)
	if err != nil {
		return tokenErr
	}
	if tok.Token == "" {
		return tokenRefused
	}
	valid := tok.ValidFor / time.Millisecond
	if valid < 0 {
		valid = 0
	} else if valid == 0 && tok.ValidFor > 0 {
		valid = 1
	}
	b := []byte(tok.Token)
	st := C.gazette_token_set(out, (*C.char)(unsafe.Pointer(&b[0])), C.size_t(len(b)), C.int64_t(valid), nil)
	for i := range b {
		b[i] = 0
	}
	if st != C.GAZETTE_STATUS_OK {
		return tokenRefused
	}
	return 0
}
