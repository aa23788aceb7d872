package gazette_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"

	gazette "libgazette.dev/gazette"
)

// Writers append to their own journals while blocking readers follow them.
func TestConcurrentAppendsAndReads(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	const writers, records = 8, 50
	journals := make([]string, writers)
	for i := range journals {
		journals[i] = newJournal(t, cl)
	}
	want := &bytes.Buffer{}
	for k := 0; k < records; k++ {
		fmt.Fprintf(want, "%03d\n", k)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*2)
	for _, j := range journals {
		j := j
		wg.Add(2)
		go func() {
			defer wg.Done()
			for k := 0; k < records; k++ {
				if _, _, err := cl.Append(ctx, j, []byte(fmt.Sprintf("%03d\n", k)), nil); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			r, err := cl.NewRetryReader(ctx, j, &gazette.ReadOptions{EndOffset: int64(want.Len()), Block: true})
			if err != nil {
				errs <- err
				return
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(b, want.Bytes()) {
				errs <- fmt.Errorf("%s: read %q, %v", j, b, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A read blocked at the write head returns when its context is cancelled.
func TestBlockedReadCancelledByContext(t *testing.T) {
	cl := newClient(t)
	j := newJournal(t, cl)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := cl.NewReader(ctx, j, &gazette.ReadOptions{Block: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error)
	go func() {
		_, err := r.Read(make([]byte, 16)) // nothing is ever appended: blocks
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

// Reader.Cancel from another goroutine ends a blocked read.
func TestBlockedReadCancelled(t *testing.T) {
	cl := newClient(t)
	j := newJournal(t, cl)
	r, err := cl.NewRetryReader(context.Background(), j, &gazette.ReadOptions{Block: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error)
	go func() {
		_, err := r.Read(make([]byte, 16))
		done <- err
	}()
	r.Cancel()
	if err := <-done; !errors.Is(err, gazette.ErrCancelled) {
		t.Fatalf("want ErrCancelled, got %v", err)
	}
}

// One reader moves between goroutines, each reading a piece.
func TestReaderPassedBetweenGoroutines(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)
	if _, _, err := cl.Append(ctx, j, []byte("abcdef"), nil); err != nil {
		t.Fatal(err)
	}
	r, err := cl.NewRetryReader(ctx, j, &gazette.ReadOptions{EndOffset: 6, Block: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for i := 0; i < 3; i++ {
		out := make(chan string)
		go func() {
			b := make([]byte, 2)
			if _, err := io.ReadFull(r, b); err != nil {
				out <- err.Error()
				return
			}
			out <- string(b)
		}()
		got = append(got, <-out)
	}
	if fmt.Sprint(got) != "[ab cd ef]" {
		t.Fatalf("got %v", got)
	}
}

// Handles dropped without Close are freed by their finalizers, and a
// dropped appender's transaction is rolled back.
func TestFinalizersReclaimUnclosedHandles(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)
	if _, _, err := cl.Append(ctx, j, []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	before := gazette.LiveHandles()
	func() {
		r, _ := cl.NewReader(ctx, j, &gazette.ReadOptions{EndOffset: 1})
		rr, _ := cl.NewRetryReader(ctx, j, &gazette.ReadOptions{EndOffset: 1})
		a, _ := cl.NewAppender(ctx, j, nil)
		io.WriteString(a, "dropped")
		c2, _ := gazette.NewClient(gazette.Config{Endpoints: []string{endpoint}})
		if r == nil || rr == nil || a == nil || c2 == nil {
			t.Fatal("a handle failed to open")
		}
	}()
	if n := gazette.LiveHandles(); n != before+4 {
		t.Fatalf("%d live handles, want %d", n, before+4)
	}
	// Finalizers run on their own goroutine after a collection; collect
	// until they did (a bounded number of rounds, no timing involved).
	for i := 0; i < 1000 && gazette.LiveHandles() > before; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if n := gazette.LiveHandles(); n != before {
		t.Fatalf("%d handles still live after GC, want %d", n, before)
	}
	b, e, err := cl.Append(ctx, j, []byte("y"), nil)
	if err != nil || b != 1 || e != 2 {
		t.Fatalf("append after finalizers: [%d,%d) %v", b, e, err)
	}
}

// Goroutines share one AppendService; every future's Done closes through
// the client's single poller goroutine.
func TestConcurrentAsyncAppends(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	journals := []string{newJournal(t, cl), newJournal(t, cl)}
	svc, err := cl.NewAppendService()
	if err != nil {
		t.Fatal(err)
	}
	const workers, records = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		w := w
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fs []*gazette.Future
			for k := 0; k < records; k++ {
				aa, err := svc.StartAppend(ctx, journals[(w+k)%2], nil)
				if err != nil {
					errs <- err
					return
				}
				fmt.Fprintf(aa, "%d-%d\n", w, k)
				f, err := aa.Release()
				if err != nil {
					errs <- err
					return
				}
				fs = append(fs, f)
			}
			for _, f := range fs {
				if err := f.Wait(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, j := range journals {
		got, err := cl.GetJournal(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := cl.NewReader(ctx, got.Name, &gazette.ReadOptions{})
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil && !errors.Is(err, gazette.ErrOffsetNotYetAvailable) {
			t.Fatal(err)
		}
		lines += bytes.Count(b, []byte("\n"))
	}
	if lines != workers*records {
		t.Fatalf("%d records in the journals, want %d", lines, workers*records)
	}
}

// An Append held up by the broker returns when its context is cancelled
// (the C call has no cancel; it finishes on its own goroutine).
func TestBlockedAppendCancelledByContext(t *testing.T) {
	cl := newClient(t)
	j := newJournal(t, cl)
	devControl(t, "delay append 600000")
	t.Cleanup(func() { devControl(t, "clear_faults") })
	before, _ := cl.Stat("append_rpcs")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, _, err := cl.Append(ctx, j, []byte("held up"), nil)
		done <- err
	}()
	// Cancel only once the RPC is in flight (the counter counts started RPCs).
	for n := before; n == before; n, _ = cl.Stat("append_rpcs") {
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}
