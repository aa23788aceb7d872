package gazette

import "sync/atomic"

// live counts native handles this package holds and has not freed yet, so
// tests can see finalizers reclaim handles dropped without Close.
var live int64

func track()   { atomic.AddInt64(&live, 1) }
func untrack() { atomic.AddInt64(&live, -1) }

// LiveHandles is the number of native handles not yet freed (for tests and leak checks).
func LiveHandles() int64 { return atomic.LoadInt64(&live) }
