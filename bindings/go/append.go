package gazette

/*
#include <stdlib.h>
#include <gazette.h>
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"unsafe"
)

// AppendOptions are optional conditions of an append.
type AppendOptions struct {
	// Offset, when non-zero, is the write head the append expects
	// (ErrWrongAppendOffset otherwise).
	Offset int64
}

func (o *AppendOptions) build() (*C.gazette_append_options, error) {
	if o == nil {
		return nil, nil
	}
	c := C.gazette_append_options_new()
	if o.Offset != 0 {
		var e *C.gazette_error
		if err := takeErr(C.gazette_append_options_set_offset(c, C.int64_t(o.Offset), &e), e); err != nil {
			C.gazette_append_options_free(c)
			return nil, err
		}
	}
	return c, nil
}

// Append writes data to journal as one transaction, retrying transient
// failures, and returns the committed [begin, end) offsets. It returns
// when ctx ends (see detached: the append may still commit then).
func (cl *Client) Append(ctx context.Context, journal string, data []byte, opts *AppendOptions) (begin, end int64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	o, err := opts.build()
	if err != nil {
		return 0, 0, err
	}
	j, jn := cstr(journal)
	// A call that may outlive this function reads a C copy of data.
	owned := ctx.Done() != nil && len(data) > 0
	p := cbytes(data)
	if owned {
		p = (*C.uint8_t)(C.CBytes(data))
	}
	ms := deadlineMs(ctx) // not resumable after a timeout: the whole deadline
	r, err := detached(ctx, func() ([2]int64, error) {
		defer C.gazette_append_options_free(o)
		defer C.free(unsafe.Pointer(j))
		if owned {
			defer C.free(unsafe.Pointer(p))
		}
		var b, en C.int64_t
		var e *C.gazette_error
		err := takeErr(C.gazette_append(cl.c, j, jn, p, C.size_t(len(data)), o, ms, &b, &en, &e), e)
		runtime.KeepAlive(cl)
		runtime.KeepAlive(data)
		return [2]int64{int64(b), int64(en)}, err
	})
	return r[0], r[1], err
}

// Appender is one streamed append transaction: Write streams bytes, Close
// commits them, Abort rolls them back. Not safe for concurrent use, but it may
// be handed between goroutines. An appender dropped without Close is aborted
// and freed by its finalizer.
type Appender struct {
	mu         sync.Mutex
	a          *C.gazette_appender
	cl         *Client
	ctx        context.Context
	Begin, End int64 // committed offsets, after Close
}

// NewAppender starts a transaction on journal. ctx bounds every Write and Close.
func (cl *Client) NewAppender(ctx context.Context, journal string, opts *AppendOptions) (*Appender, error) {
	o, err := opts.build()
	if err != nil {
		return nil, err
	}
	defer C.gazette_append_options_free(o)
	j, jn := cstr(journal)
	defer C.free(unsafe.Pointer(j))
	var out *C.gazette_appender
	var e *C.gazette_error
	if err := takeErr(C.gazette_appender_new(cl.c, j, jn, o, &out, &e), e); err != nil {
		return nil, err
	}
	track(kindAppender)
	a := &Appender{a: out, cl: cl, ctx: ctx}
	runtime.SetFinalizer(a, (*Appender).free)
	return a, nil
}

func (a *Appender) free() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.a != nil {
		untrack(kindAppender)
		C.gazette_appender_free(a.a) // frees an open transaction by rolling it back
		a.a = nil
	}
}

// Write streams p into the transaction (io.Writer).
func (a *Appender) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.a == nil {
		return 0, ErrInvalidState
	}
	var e *C.gazette_error
	if err := takeErr(C.gazette_appender_write(a.a, cbytes(p), C.size_t(len(p)), deadlineMs(a.ctx), &e), e); err != nil {
		return 0, err
	}
	runtime.KeepAlive(p)
	return len(p), nil
}

// Close commits the transaction (io.Closer); Begin and End are set after.
func (a *Appender) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.a == nil {
		return ErrInvalidState
	}
	var b, en C.int64_t
	var e *C.gazette_error
	err := takeErr(C.gazette_appender_close(a.a, deadlineMs(a.ctx), &b, &en, &e), e)
	a.Begin, a.End = int64(b), int64(en)
	untrack(kindAppender)
	C.gazette_appender_free(a.a)
	a.a = nil
	return err
}

// Abort rolls the transaction back: nothing written becomes visible.
func (a *Appender) Abort() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.a == nil {
		return ErrInvalidState
	}
	var e *C.gazette_error
	err := takeErr(C.gazette_appender_abort(a.a, deadlineMs(a.ctx), &e), e)
	untrack(kindAppender)
	C.gazette_appender_free(a.a)
	a.a = nil
	return err
}
