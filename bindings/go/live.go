package gazette

import "sync/atomic"

// Counts of native handles this package holds and has not freed yet, per
// kind, so tests can see finalizers reclaim handles dropped without Close.
type kind int

const (
	kindClient kind = iota
	kindReader
	kindAppender
	kindFuture
	kinds
)

var live [kinds]int64

func track(k kind)   { atomic.AddInt64(&live[k], 1) }
func untrack(k kind) { atomic.AddInt64(&live[k], -1) }

// LiveHandles is the number of clients, readers and appenders not yet freed
// (append futures are left out: they live until collected). For tests and
// leak checks.
func LiveHandles() int64 {
	return atomic.LoadInt64(&live[kindClient]) + atomic.LoadInt64(&live[kindReader]) + atomic.LoadInt64(&live[kindAppender])
}
