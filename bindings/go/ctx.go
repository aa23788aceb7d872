package gazette

import "context"

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
	var zero T
	if ctx.Done() == nil { // never cancelled: no goroutine needed
		return call()
	}
	ch := make(chan result[T], 1)
	go func() {
		v, err := call()
		ch <- result[T]{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

type result[T any] struct {
	v   T
	err error
}
