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

// AppendService batches many small appends per journal into few Append RPCs,
// in dependency order, retrying failures. Safe for concurrent use.
type AppendService struct {
	s  *C.gazette_append_service
	cl *Client
}

// NewAppendService starts a service on cl's connections.
func (cl *Client) NewAppendService() (*AppendService, error) {
	var out *C.gazette_append_service
	var e *C.gazette_error
	if err := takeErr(C.gazette_append_service_new(cl.c, nil, &out, &e), e); err != nil {
		return nil, err
	}
	s := &AppendService{s: out, cl: cl}
	runtime.SetFinalizer(s, func(s *AppendService) { C.gazette_append_service_free(s.s) })
	return s, nil
}

// Close waits until every started append finished, then frees the
// service. When ctx ends first, it cancels the service through the
// library (pending appends complete with ErrCancelled, their dependants
// with ErrDependencyFailed), waits for that, and returns ctx.Err(). A
// caller still holding an AsyncAppend delays the return until it releases.
func (s *AppendService) Close(ctx context.Context) error {
	ms := deadlineMs(ctx)
	closeIt := func() error {
		var e *C.gazette_error
		return takeErr(C.gazette_append_service_close(s.s, ms, &e), e)
	}
	var err error
	if ctx.Done() == nil {
		err = closeIt()
	} else {
		done := make(chan error, 1)
		go func() { done <- closeIt() }()
		select {
		case err = <-done:
		case <-ctx.Done():
			C.gazette_append_service_cancel(s.s)
			<-done // prompt now: every pending append completes at once
			err = ctx.Err()
		}
	}
	runtime.SetFinalizer(s, nil)
	C.gazette_append_service_free(s.s)
	s.s = nil
	return err
}

// AsyncAppend is the exclusive write access to a journal's newest batch:
// Write records, then Release promptly (or Abort).
type AsyncAppend struct {
	a *C.gazette_async_append
	s *AppendService
}

// OpFutures is a set of append futures, used as dependencies of an append.
type OpFutures struct{ set *C.gazette_op_futures }

// NewOpFutures makes a set of fs.
func NewOpFutures(fs ...*Future) (*OpFutures, error) {
	o := &OpFutures{set: C.gazette_op_futures_new()}
	runtime.SetFinalizer(o, func(o *OpFutures) { C.gazette_op_futures_free(o.set) })
	for _, f := range fs {
		if err := o.Add(f); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// Add puts f into the set.
func (o *OpFutures) Add(f *Future) error {
	var e *C.gazette_error
	err := takeErr(C.gazette_op_futures_add(o.set, f.f, &e), e)
	runtime.KeepAlive(f)
	runtime.KeepAlive(o)
	return err
}

// Len is the number of futures in the set.
func (o *OpFutures) Len() int {
	defer runtime.KeepAlive(o)
	return int(C.gazette_op_futures_len(o.set))
}

// StartAppend begins an async append to journal, dispatched after every
// future of deps (may be nil) succeeded (ErrDependencyFailed otherwise).
// It waits for the journal's batch (held by other callers until they
// release) in short slices, so it returns ctx.Err() soon after ctx ends,
// holding nothing.
func (s *AppendService) StartAppend(ctx context.Context, journal string, deps *OpFutures) (*AsyncAppend, error) {
	var set *C.gazette_op_futures
	if deps != nil {
		set = deps.set
		defer runtime.KeepAlive(deps)
	}
	j, jn := cstr(journal)
	defer C.free(unsafe.Pointer(j))
	defer runtime.KeepAlive(s)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// A start that timed out took nothing: the next slice starts afresh.
		var out *C.gazette_async_append
		var e *C.gazette_error
		st := C.gazette_append_service_start(s.s, j, jn, nil, set, sliceMs(ctx), &out, &e)
		if st == C.GAZETTE_STATUS_TIMED_OUT {
			takeErr(st, e)
			continue
		}
		if err := takeErr(st, e); err != nil {
			return nil, err
		}
		return &AsyncAppend{a: out, s: s}, nil
	}
}

// Write adds p (copied) to this caller's part of the batch.
func (a *AsyncAppend) Write(p []byte) (int, error) {
	var e *C.gazette_error
	if err := takeErr(C.gazette_async_append_write(a.a, cbytes(p), C.size_t(len(p)), &e), e); err != nil {
		return 0, err
	}
	runtime.KeepAlive(p)
	return len(p), nil
}

// Abort rolls back this caller's bytes and ends the write access.
func (a *AsyncAppend) Abort() {
	C.gazette_async_append_free(a.a)
	a.a = nil
}

// Release ends the write access and returns the future of the batch.
func (a *AsyncAppend) Release() (*Future, error) {
	var out *C.gazette_append_future
	var e *C.gazette_error
	err := takeErr(C.gazette_async_append_release(a.a, &out, &e), e)
	a.a = nil
	if err != nil {
		return nil, err
	}
	return newFuture(out, a.s.cl)
}

// PendingExcept returns the futures of every append in flight to journals
// other than journal, e.g. as dependencies of a later append.
func (s *AppendService) PendingExcept(journal string) (*OpFutures, error) {
	j, jn := cstr(journal)
	defer C.free(unsafe.Pointer(j))
	var set *C.gazette_op_futures
	var e *C.gazette_error
	if err := takeErr(C.gazette_append_service_pending_except(s.s, j, jn, &set, &e), e); err != nil {
		return nil, err
	}
	o := &OpFutures{set: set}
	runtime.SetFinalizer(o, func(o *OpFutures) { C.gazette_op_futures_free(o.set) })
	return o, nil
}

// Future is the completion of an append batch. Done closes when it
// finished; Err is then its outcome.
type Future struct {
	f    *C.gazette_append_future
	done chan struct{}
	once sync.Once
	cl   *Client // its poller closes done: keep it from being finalized first
}

func newFuture(f *C.gazette_append_future, cl *Client) (*Future, error) {
	fu := &Future{f: f, done: make(chan struct{}), cl: cl}
	track(kindFuture)
	runtime.SetFinalizer(fu, func(fu *Future) { untrack(kindFuture); C.gazette_append_future_free(fu.f) })
	if err := cl.q.attach(fu); err != nil {
		return nil, err
	}
	return fu, nil
}

func (f *Future) complete() { f.once.Do(func() { close(f.done) }) }

// Done is closed once the append completed (successfully or not).
func (f *Future) Done() <-chan struct{} { return f.done }

// Err is nil after success, the failure after Done closed, and
// ErrWouldBlock while still pending.
func (f *Future) Err() error {
	s := C.gazette_append_future_status(f.f)
	defer runtime.KeepAlive(f)
	switch s {
	case C.GAZETTE_STATUS_OK:
		return nil
	case C.GAZETTE_STATUS_WOULD_BLOCK:
		return ErrWouldBlock
	}
	err := &Error{Status: int(s)}
	if e := C.gazette_append_future_error(f.f); e != nil {
		err.Message = gostr(C.gazette_error_message(e))
	}
	return err
}

// Wait blocks until the append completed or ctx ended.
func (f *Future) Wait(ctx context.Context) error {
	select {
	case <-f.done:
		return f.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Journal is the batch's journal.
func (f *Future) Journal() string {
	defer runtime.KeepAlive(f)
	return gostr(C.gazette_append_future_journal(f.f))
}

// Batch is the number of the batch this append went out in: futures with
// equal numbers were batched into one RPC and complete together, with one
// commit span. Unique in the process, never 0.
func (f *Future) Batch() uint64 {
	defer runtime.KeepAlive(f)
	return uint64(C.gazette_append_future_batch(f.f))
}

// Commit returns the committed [begin, end) offsets of the batch (after success).
func (f *Future) Commit() (begin, end int64) {
	defer runtime.KeepAlive(f)
	return int64(C.gazette_append_future_commit_begin(f.f)), int64(C.gazette_append_future_commit_end(f.f))
}
