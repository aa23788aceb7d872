package gazette

/*
#include <stdlib.h>
#include <gazette.h>
*/
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// WatchedList keeps the journals of a selector current through a watching
// List RPC (brokers v0.100 and later; use PolledList with older ones).
type WatchedList struct {
	wl *C.gazette_watched_list
}

// NewWatchedList starts watching; the first snapshot arrives later (see
// WaitUpdate). The watch resumes by itself after failures.
func (cl *Client) NewWatchedList(selector string) (*WatchedList, error) {
	s, sl := cstr(selector)
	defer C.free(unsafe.Pointer(s))
	var out *C.gazette_watched_list
	var e *C.gazette_error
	err := takeErr(C.gazette_watched_list_new(cl.c, s, sl, &out, &e), e)
	runtime.KeepAlive(cl)
	if err != nil {
		return nil, err
	}
	w := &WatchedList{wl: out}
	runtime.SetFinalizer(w, func(w *WatchedList) { C.gazette_watched_list_free(w.wl) })
	return w, nil
}

// Journals is the latest snapshot; ErrWouldBlock before the first.
func (w *WatchedList) Journals() ([]Journal, error) {
	var l *C.gazette_journal_list
	var e *C.gazette_error
	s := C.gazette_watched_list_get(w.wl, &l, &e)
	runtime.KeepAlive(w)
	if err := takeErr(s, e); err != nil {
		return nil, err
	}
	return journalsFrom(l), nil
}

// WaitUpdate blocks until a newer snapshot is there (nil), the watch failed
// (its error; the watch goes on retrying), or ctx ended (ctx.Err()).
func (w *WatchedList) WaitUpdate(ctx context.Context) error {
	defer runtime.KeepAlive(w)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var e *C.gazette_error
		s := C.gazette_watched_list_wait_update(w.wl, sliceMs(ctx), &e)
		if s != C.GAZETTE_STATUS_TIMED_OUT {
			return takeErr(s, e)
		}
		if e != nil {
			C.gazette_error_free(e)
		}
	}
}

// Close stops the watch and frees the list.
func (w *WatchedList) Close() {
	runtime.SetFinalizer(w, nil)
	C.gazette_watched_list_free(w.wl)
	w.wl = nil
}

// Statuses is every status value the library defines, in ascending order
// (for tables of names: see StatusName).
func Statuses() []int {
	n := int(C.gazette_status_count())
	out := make([]int, n)
	for i := range out {
		out[i] = int(C.gazette_status_at(C.size_t(i)))
	}
	return out
}
