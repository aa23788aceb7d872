package gazette

import (
	"context"
	"sync/atomic"
)

// detached runs a C call that can neither resume after a timeout nor be
// cancelled (append, apply, listings) so that ctx is still honoured: the
// call gets ctx's deadline as its timeout, and if ctx is cancelled first
// the caller gets ctx.Err() at once while the call finishes on its own
// goroutine, which frees whatever it produced. Like the Go client, an
// abandoned append may still commit. Inputs the call reads must be C
// copies or owned by the closure, never memory the caller may reuse; the
// call always runs (it frees what it owns), so callers check ctx.Err()
// before building its inputs.
func detached[T any](ctx context.Context, call func() (T, error)) (T, error) {
	v, err, _ := detachedOr(ctx, call, nil)
	return v, err
}

// detachedOr is detached with a hook: when the caller gave up on the call,
// orphaned runs on the call's goroutine with its result once it finished
// (to free a handle it produced or still holds). abandoned reports whether
// the caller gave up; a call that finished while ctx ended counts as
// finished, not abandoned.
func detachedOr[T any](ctx context.Context, call func() (T, error), orphaned func(T, error)) (v T, err error, abandoned bool) {
	if ctx.Done() == nil { // never cancelled: no goroutine needed
		v, err = call()
		return v, err, false
	}
	// Whoever moves state from 0 first decides: 1 the call's goroutine
	// (it finished and hands its result over), 2 the caller (it left).
	var state int32
	ch := make(chan result[T], 1)
	go func() {
		v, err := call()
		if atomic.CompareAndSwapInt32(&state, 0, 1) {
			ch <- result[T]{v, err}
		} else if orphaned != nil {
			orphaned(v, err)
		}
	}()
	select {
	case r := <-ch:
		return r.v, r.err, false
	case <-ctx.Done():
		if atomic.CompareAndSwapInt32(&state, 0, 2) {
			var zero T
			return zero, ctx.Err(), true
		}
		r := <-ch // it finished just now: the result stands
		return r.v, r.err, false
	}
}

type result[T any] struct {
	v   T
	err error
}
