package gazette

/*
#include <stdlib.h>
#include <gazette.h>
*/
import "C"

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// ReadOptions select where and how a read starts.
type ReadOptions struct {
	Offset       int64 // byte offset; -1 is the write head
	EndOffset    int64 // 0: unbounded
	Block        bool  // wait for content at the write head (otherwise ErrOffsetNotYetAvailable)
	DoNotProxy   bool  // read fragments directly from their store where possible
	MetadataOnly bool
	BeginModTime time.Time // skip persisted fragments modified before it (zero: none)
}

func (o *ReadOptions) build() (*C.gazette_read_options, error) {
	c := C.gazette_read_options_new()
	if o == nil {
		return c, nil
	}
	var e *C.gazette_error
	for _, s := range []func() C.gazette_status{
		func() C.gazette_status { return C.gazette_read_options_set_offset(c, C.int64_t(o.Offset), &e) },
		func() C.gazette_status { return C.gazette_read_options_set_end_offset(c, C.int64_t(o.EndOffset), &e) },
		func() C.gazette_status { return C.gazette_read_options_set_block(c, C.bool(o.Block), &e) },
		func() C.gazette_status { return C.gazette_read_options_set_do_not_proxy(c, C.bool(o.DoNotProxy), &e) },
		func() C.gazette_status {
			return C.gazette_read_options_set_metadata_only(c, C.bool(o.MetadataOnly), &e)
		},
	} {
		if err := takeErr(s(), e); err != nil {
			C.gazette_read_options_free(c)
			return nil, err
		}
	}
	return c, nil
}

// reader is the code shared by Reader (one Read RPC) and RetryReader (which
// re-opens reads across broker and stream failures). C allows one call on a
// reader at a time, so mu serialises them; a reader may move between goroutines.
type reader struct {
	mu    sync.Mutex // one C call at a time
	hmu   sync.Mutex // guards the handles against free while cancel runs
	retry bool
	r     *C.gazette_reader
	rr    *C.gazette_retry_reader
	ctx   context.Context
	cl    *Client // keeps the client (and its finalizer) away while the reader lives
}

func (cl *Client) openReader(ctx context.Context, journal string, opts *ReadOptions, retry bool) (*reader, error) {
	o, err := opts.build()
	if err != nil {
		return nil, err
	}
	defer C.gazette_read_options_free(o)
	j, jn := cstr(journal)
	defer C.free(unsafe.Pointer(j))
	rd := &reader{retry: retry, ctx: ctx, cl: cl}
	var e *C.gazette_error
	var s C.gazette_status
	if retry {
		s = C.gazette_retry_reader_new(cl.c, j, jn, o, &rd.rr, &e)
	} else {
		s = C.gazette_reader_new(cl.c, j, jn, o, &rd.r, &e)
	}
	if err := takeErr(s, e); err != nil {
		return nil, err
	}
	track(kindReader)
	return rd, nil
}

func (rd *reader) free() {
	rd.cancel() // a read in flight on another goroutine returns, releasing mu
	rd.mu.Lock()
	defer rd.mu.Unlock()
	rd.hmu.Lock()
	defer rd.hmu.Unlock()
	if rd.closed() {
		return
	}
	untrack(kindReader)
	if rd.retry {
		C.gazette_retry_reader_free(rd.rr)
		rd.rr = nil
	} else {
		C.gazette_reader_free(rd.r)
		rd.r = nil
	}
}

func (rd *reader) closed() bool { return rd.r == nil && rd.rr == nil }

// cancel ends the read in flight (from any goroutine, without mu: the C
// cancel calls are thread-safe).
func (rd *reader) cancel() {
	rd.hmu.Lock()
	defer rd.hmu.Unlock()
	if rd.retry {
		C.gazette_retry_reader_cancel(rd.rr)
	} else {
		C.gazette_reader_cancel(rd.r)
	}
}

// wait runs one read-like call in timed slices until it returns something
// other than TIMED_OUT, or ctx ends (which cancels the reader for good).
func (rd *reader) wait(call func(ms C.int32_t, e **C.gazette_error) C.gazette_status) error {
	for {
		if err := rd.ctx.Err(); err != nil {
			rd.cancel()
			return err
		}
		var e *C.gazette_error
		s := call(sliceMs(rd.ctx), &e)
		if s == C.GAZETTE_STATUS_TIMED_OUT {
			if e != nil {
				C.gazette_error_free(e)
			}
			continue
		}
		if s == C.GAZETTE_STATUS_END_OF_STREAM {
			if e != nil {
				C.gazette_error_free(e)
			}
			return io.EOF
		}
		if s == C.GAZETTE_STATUS_CANCELLED && rd.ctx.Err() != nil {
			if e != nil {
				C.gazette_error_free(e)
			}
			return rd.ctx.Err()
		}
		return takeErr(s, e)
	}
}

func (rd *reader) read(p []byte) (int, error) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.closed() {
		return 0, ErrInvalidState
	}
	if len(p) == 0 {
		return 0, nil
	}
	var n C.size_t
	err := rd.wait(func(ms C.int32_t, e **C.gazette_error) C.gazette_status {
		if rd.retry {
			return C.gazette_retry_reader_read(rd.rr, cbytes(p), C.size_t(len(p)), ms, &n, e)
		}
		return C.gazette_reader_read(rd.r, cbytes(p), C.size_t(len(p)), ms, &n, e)
	})
	return int(n), err
}

func (rd *reader) next() ([]byte, error) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.closed() {
		return nil, ErrInvalidState
	}
	var data *C.uint8_t
	var n C.size_t
	err := rd.wait(func(ms C.int32_t, e **C.gazette_error) C.gazette_status {
		if rd.retry {
			return C.gazette_retry_reader_next(rd.rr, ms, &data, &n, e)
		}
		return C.gazette_reader_next(rd.r, ms, &data, &n, e)
	})
	if err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)), nil
}

func (rd *reader) offset() int64 {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.retry {
		return int64(C.gazette_retry_reader_offset(rd.rr))
	}
	return int64(C.gazette_reader_offset(rd.r))
}

func (rd *reader) writeHead() int64 {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.retry {
		return int64(C.gazette_retry_reader_write_head(rd.rr))
	}
	return int64(C.gazette_reader_write_head(rd.r))
}

// seek moves the next read to offset (io.Seeker, whence SeekStart or
// SeekCurrent) and returns it.
func (rd *reader) seek(offset int64, whence int) (int64, error) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.closed() {
		return 0, ErrInvalidState
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		if rd.retry {
			offset += int64(C.gazette_retry_reader_offset(rd.rr))
		} else {
			offset += int64(C.gazette_reader_offset(rd.r))
		}
	default:
		return 0, errors.New("gazette: Seek supports io.SeekStart and io.SeekCurrent only")
	}
	var e *C.gazette_error
	var s C.gazette_status
	if rd.retry {
		// Resumable: TIMED_OUT leaves everything as it was, so wait in slices.
		err := rd.wait(func(ms C.int32_t, e **C.gazette_error) C.gazette_status {
			return C.gazette_retry_reader_seek(rd.rr, C.int64_t(offset), ms, e)
		})
		return offset, err
	}
	s = C.gazette_reader_seek(rd.r, C.int64_t(offset), deadlineMs(rd.ctx), &e)
	return offset, takeErr(s, e)
}

// fragment describes the fragment the reader is in (nil before any) and its URL.
func (rd *reader) fragment() (*Fragment, string) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.closed() {
		return nil, ""
	}
	var f *C.gazette_fragment
	var url string
	if rd.retry {
		f, url = C.gazette_retry_reader_fragment(rd.rr), gostr(C.gazette_retry_reader_fragment_url(rd.rr))
	} else {
		f, url = C.gazette_reader_fragment(rd.r), gostr(C.gazette_reader_fragment_url(rd.r))
	}
	if f == nil {
		return nil, url
	}
	out := fragmentFrom(f)
	return &out, url
}

// Reader reads a journal through one Read RPC (io.Reader). Read returns
// io.EOF at the end of the stream and ErrOffsetJump when the broker skipped
// ahead (reading may go on). ctx (given at creation) bounds every call and
// cancels the reader when it ends. An unclosed Reader is freed by its finalizer.
type Reader struct{ *reader }

// RetryReader is a Reader that re-opens its read across transient failures.
type RetryReader struct{ *reader }

// NewReader opens a read of journal.
func (cl *Client) NewReader(ctx context.Context, journal string, opts *ReadOptions) (*Reader, error) {
	rd, err := cl.openReader(ctx, journal, opts, false)
	if err != nil {
		return nil, err
	}
	r := &Reader{rd}
	runtime.SetFinalizer(r, func(r *Reader) { r.free() })
	return r, nil
}

// NewRetryReader opens a retried read of journal.
func (cl *Client) NewRetryReader(ctx context.Context, journal string, opts *ReadOptions) (*RetryReader, error) {
	rd, err := cl.openReader(ctx, journal, opts, true)
	if err != nil {
		return nil, err
	}
	r := &RetryReader{rd}
	runtime.SetFinalizer(r, func(r *RetryReader) { r.free() })
	return r, nil
}

// Read copies the next bytes of the journal into p.
func (r *Reader) Read(p []byte) (int, error) { return r.read(p) }

// Next lends the next chunk without copying; it is valid until the next call
// on r or Close. Copy it to keep it.
func (r *Reader) Next() ([]byte, error) { return r.next() }

// Offset is the journal offset of the next byte to read.
func (r *Reader) Offset() int64 { return r.offset() }

// WriteHead is the journal's write head as last reported by the broker.
func (r *Reader) WriteHead() int64 { return r.writeHead() }

// Cancel ends a read in flight from another goroutine (it returns ErrCancelled).
func (r *Reader) Cancel() { r.cancel() }

// Seek moves within bytes already received (or forward within a fragment
// read directly); elsewhere it returns ErrSeekRequiresNewReader.
func (r *Reader) Seek(offset int64, whence int) (int64, error) { return r.seek(offset, whence) }

// Fragment is the fragment being read (nil before the first) and its URL.
func (r *Reader) Fragment() (*Fragment, string) { return r.fragment() }

// Close frees the reader.
func (r *Reader) Close() error { r.free(); runtime.SetFinalizer(r, nil); return nil }

// Read copies the next bytes of the journal into p.
func (r *RetryReader) Read(p []byte) (int, error) { return r.read(p) }

// Next lends the next chunk without copying (see Reader.Next).
func (r *RetryReader) Next() ([]byte, error) { return r.next() }

// Offset is the journal offset of the next byte to read.
func (r *RetryReader) Offset() int64 { return r.offset() }

// WriteHead is the journal's write head as last reported by the broker.
func (r *RetryReader) WriteHead() int64 { return r.writeHead() }

// Cancel ends a read in flight from another goroutine.
func (r *RetryReader) Cancel() { r.cancel() }

// Seek moves the next read anywhere in the journal (restarting the RPC if
// needed, which also clears a Cancel).
func (r *RetryReader) Seek(offset int64, whence int) (int64, error) { return r.seek(offset, whence) }

// Fragment is the fragment being read (nil before the first) and its URL.
func (r *RetryReader) Fragment() (*Fragment, string) { return r.fragment() }

// Close frees the reader.
func (r *RetryReader) Close() error { r.free(); runtime.SetFinalizer(r, nil); return nil }
