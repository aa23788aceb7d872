package gazette

/*
#include <gazette.h>
*/
import "C"

import (
	"os"
	"sync"
	"syscall"
)

// queue is a client's completion queue: the library posts finished append
// futures to it and writes a byte to a pipe; one poller goroutine reads the
// pipe and drains the queue. C never calls into Go and holds only integer tags.
type queue struct {
	cq      *C.gazette_cq
	r, w    *os.File
	mu      sync.Mutex
	nextTag uint64
	waiting map[uint64]*Future
	done    chan struct{}
	once    sync.Once
}

// wakeByte is what the library writes to the pipe (it copies it).
var wakeByte = [1]C.uint8_t{1}

func newQueue() (*queue, error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	// The library's end must not block; the poller's end blocks in a goroutine.
	if err := syscall.SetNonblock(p[1], true); err != nil {
		syscall.Close(p[0])
		syscall.Close(p[1])
		return nil, err
	}
	q := &queue{
		cq:      C.gazette_cq_new(),
		r:       os.NewFile(uintptr(p[0]), "gazette-cq-r"),
		w:       os.NewFile(uintptr(p[1]), "gazette-cq-w"),
		waiting: map[uint64]*Future{},
		done:    make(chan struct{}),
	}
	var e *C.gazette_error
	if err := takeErr(C.gazette_cq_set_notify_fd(q.cq, C.int32_t(p[1]), &wakeByte[0], 1, &e), e); err != nil {
		q.r.Close()
		q.w.Close()
		C.gazette_cq_free(q.cq)
		return nil, err
	}
	go q.poll()
	return q, nil
}

// attach arranges for f's done channel to close when its append completes.
func (q *queue) attach(f *Future) error {
	q.mu.Lock()
	q.nextTag++
	tag := q.nextTag
	q.waiting[tag] = f
	q.mu.Unlock()
	var e *C.gazette_error
	if err := takeErr(C.gazette_append_future_set_queue(f.f, q.cq, C.uint64_t(tag), &e), e); err != nil {
		q.mu.Lock()
		delete(q.waiting, tag)
		q.mu.Unlock()
		return err
	}
	return nil
}

func (q *queue) poll() {
	defer close(q.done)
	buf := make([]byte, 64)
	for {
		_, err := q.r.Read(buf)
		q.drain()
		if err != nil { // the write end was closed by stop
			return
		}
	}
}

func (q *queue) drain() {
	for {
		var ev C.gazette_event
		var e *C.gazette_error
		s := C.gazette_cq_next(q.cq, 0, &ev, &e)
		if e != nil {
			C.gazette_error_free(e)
		}
		if s != C.GAZETTE_STATUS_OK {
			return
		}
		q.mu.Lock()
		f := q.waiting[uint64(ev.tag)]
		delete(q.waiting, uint64(ev.tag))
		q.mu.Unlock()
		if f != nil {
			f.complete()
		}
	}
}

// stop detaches the pipe, ends the poller and frees the queue.
func (q *queue) stop() {
	q.once.Do(func() {
		var e *C.gazette_error
		takeErr(C.gazette_cq_set_notify_fd(q.cq, -1, nil, 0, &e), e)
		q.w.Close()
		<-q.done
		q.r.Close()
		C.gazette_cq_shutdown(q.cq)
		q.drain()
		C.gazette_cq_free(q.cq)
	})
}
