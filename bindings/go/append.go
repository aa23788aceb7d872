package gazette

/*
#include <stdlib.h>
#include <gazette.h>
*/
import "C"

import (
	"context"
	"fmt"
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
//
// The context given to NewAppender bounds every call. When it ends before a
// call returns, the call returns ctx.Err() and the Appender is finished: the
// transaction is rolled back (an abandoned Close may still have committed,
// as with Append) and later calls fail with ErrInvalidState saying why.
type Appender struct {
	mu         sync.Mutex
	a          *C.gazette_appender
	cl         *Client
	ctx        context.Context
	gone       string // why a is nil early: a call was abandoned
	Begin, End int64  // committed offsets, after Close
}

// NewAppender starts a transaction on journal. ctx bounds every Write, Close and Abort.
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
		freeAppender(a.a)
		a.a = nil
	}
}

// freeAppender frees a handle, rolling back an open transaction.
func freeAppender(c *C.gazette_appender) {
	untrack(kindAppender)
	C.gazette_appender_free(c)
}

// unusable is the error of a call on a finished Appender.
func (a *Appender) unusable() error {
	if a.gone == "" {
		return ErrInvalidState
	}
	return &Error{Status: ErrInvalidState.Status, Message: a.gone}
}

// run makes one waiting C call (write, close or abort) under a.ctx, with
// its deadline as the timeout: none of them resumes after a timeout and the
// library has no appender cancel. If ctx ends first the call is abandoned
// (see detachedOr): it finishes on its own goroutine, which then frees the
// handle, and the Appender is finished. Called with mu held.
func (a *Appender) run(op, outcome string, call func(c *C.gazette_appender, ms C.int32_t) error) error {
	if a.a == nil {
		return a.unusable()
	}
	c := a.a
	abandon := func(err error) error {
		a.a = nil
		a.gone = fmt.Sprintf("an earlier %s was abandoned when its context ended (%v): %s", op, err, outcome)
		return err
	}
	if err := a.ctx.Err(); err != nil {
		freeAppender(c)
		return abandon(err)
	}
	ms := deadlineMs(a.ctx)
	_, err, abandoned := detachedOr(a.ctx, func() (struct{}, error) {
		return struct{}{}, call(c, ms)
	}, func(struct{}, error) { freeAppender(c) })
	if abandoned {
		return abandon(err)
	}
	return err
}

// Write streams p into the transaction (io.Writer).
func (a *Appender) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// C reads p in place. An abandoned write may still be reading it after
	// Write returned, but its transaction is rolled back, so what it reads
	// never becomes visible; the closure keeps p alive until then.
	err := a.run("Write", "the transaction was rolled back", func(c *C.gazette_appender, ms C.int32_t) error {
		var e *C.gazette_error
		err := takeErr(C.gazette_appender_write(c, cbytes(p), C.size_t(len(p)), ms, &e), e)
		runtime.KeepAlive(p)
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close commits the transaction (io.Closer); Begin and End are set after.
func (a *Appender) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var b, en C.int64_t
	err := a.run("Close", "the commit may or may not have landed", func(c *C.gazette_appender, ms C.int32_t) error {
		var e *C.gazette_error
		return takeErr(C.gazette_appender_close(c, ms, &b, &en, &e), e)
	})
	a.finish()
	if err == nil {
		a.Begin, a.End = int64(b), int64(en)
	}
	return err
}

// Abort rolls the transaction back: nothing written becomes visible.
func (a *Appender) Abort() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.run("Abort", "the transaction was rolled back", func(c *C.gazette_appender, ms C.int32_t) error {
		var e *C.gazette_error
		return takeErr(C.gazette_appender_abort(c, ms, &e), e)
	})
	a.finish()
	return err
}

// finish frees the handle after Close or Abort (unless an abandoned call's
// goroutine owns it now).
func (a *Appender) finish() {
	if a.a != nil {
		freeAppender(a.a)
		a.a = nil
	}
}
