// Package gazette is a Go binding of libgazette's C ABI (include/gazette.h).
//
// It links with `#cgo pkg-config: gazette`: an installed libgazette
// (`make install`) works as is; to build against the build tree, run
// `eval "$(bindings/go/buildtree-env)"` first (see README.md).
package gazette

/*
#cgo pkg-config: gazette
#include <stdlib.h>
#include <gazette.h>
*/
import "C"

import (
	"context"
	"time"
	"unsafe"
)

// slice is the longest single wait handed to C: a blocking call waits in
// slices this long so a context's cancellation is seen promptly.
const slice = 50 * time.Millisecond

// sliceMs returns the timeout of the next wait under ctx.
func sliceMs(ctx context.Context) C.int32_t {
	d := slice
	if dl, ok := ctx.Deadline(); ok {
		if r := time.Until(dl); r < d {
			d = r
		}
	}
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return C.int32_t(d / time.Millisecond)
}

// deadlineMs converts ctx's deadline into one timeout for calls that cannot
// be resumed after a timeout (-1: none).
func deadlineMs(ctx context.Context) C.int32_t {
	dl, ok := ctx.Deadline()
	if !ok {
		return -1
	}
	r := time.Until(dl) / time.Millisecond
	if r < 1 {
		r = 1
	}
	if r > 1<<30 {
		return -1
	}
	return C.int32_t(r)
}

// cstr returns a C copy of s (free with C.free) and its length.
func cstr(s string) (*C.char, C.size_t) {
	return C.CString(s), C.size_t(len(s))
}

func cbytes(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

func gostr(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}
