package gazette_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	gazette "libgazette.dev/gazette"
)

// Tests that calls return ctx.Err() once their context is cancelled, even
// while the broker holds them up, and what state they leave behind. A
// call that would otherwise wait for the 600 s broker delay (or forever)
// can only return through its context; the test's own timeout bounds it.

// awaitRPC returns once the client counter name grew past before, i.e.
// the RPC being held up was started.
func awaitRPC(t *testing.T, cl *gazette.Client, name string, before uint64) {
	t.Helper()
	for n := before; n == before; {
		runtime.Gosched()
		var err error
		if n, err = cl.Stat(name); err != nil {
			t.Fatal(err)
		}
	}
}

// awaitLive returns once at most n native handles are live: an abandoned
// call frees its handle on its own goroutine once the C call returned.
func awaitLive(n int64) {
	for gazette.LiveHandles() > n {
		runtime.Gosched()
	}
}

// wantUnusable checks the error of a call on an Appender finished by an
// abandoned call.
func wantUnusable(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, gazette.ErrInvalidState) || !strings.Contains(err.Error(), "abandoned") {
		t.Fatalf("%s after an abandoned call: want ErrInvalidState saying it was abandoned, got %v", what, err)
	}
}

func TestAppenderWriteCancelled(t *testing.T) {
	base := gazette.LiveHandles()
	cl := newClient(t)
	j := newJournal(t, cl)
	devControl(t, "delay append 600000")
	t.Cleanup(func() { devControl(t, "clear_faults") })
	before, _ := cl.Stat("append_rpcs")
	ctx, cancel := context.WithCancel(context.Background())
	a, err := cl.NewAppender(ctx, j, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		// The broker takes nothing: writes fill the stream's flow-control
		// window and then block.
		buf := make([]byte, 1<<20)
		for {
			if _, err := a.Write(buf); err != nil {
				done <- err
				return
			}
		}
	}()
	awaitRPC(t, cl, "append_rpcs", before)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	_, err = a.Write([]byte("more"))
	wantUnusable(t, "Write", err)
	wantUnusable(t, "Close", a.Close())
	wantUnusable(t, "Abort", a.Abort())
	// Closing the client ends the abandoned write, whose goroutine then
	// frees (rolls back) the appender.
	if err := cl.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	awaitLive(base)
}

// appenderHeldUp starts a transaction whose Append RPC the broker holds
// up and runs op on it in a goroutine, cancelling its context once the RPC
// started; it returns op's error.
func appenderHeldUp(t *testing.T, op func(a *gazette.Appender) error) (*gazette.Appender, error) {
	t.Helper()
	// Runs last, after the client closed, which ends the abandoned call.
	base := gazette.LiveHandles()
	t.Cleanup(func() { awaitLive(base) })
	cl := newClient(t)
	j := newJournal(t, cl)
	devControl(t, "delay append 600000")
	t.Cleanup(func() { devControl(t, "clear_faults") })
	before, _ := cl.Stat("append_rpcs")
	ctx, cancel := context.WithCancel(context.Background())
	a, err := cl.NewAppender(ctx, j, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		// 64 KiB starts the RPC (smaller writes are only gathered) and
		// fits in the queue ahead of the transport: this write returns.
		if _, err := a.Write(make([]byte, 64<<10)); err != nil {
			done <- err
			return
		}
		done <- op(a)
	}()
	awaitRPC(t, cl, "append_rpcs", before)
	cancel()
	return a, <-done
}

func TestAppenderCloseCancelled(t *testing.T) {
	a, err := appenderHeldUp(t, (*gazette.Appender).Close)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if a.Begin != 0 || a.End != 0 {
		t.Fatalf("an abandoned Close set offsets [%d, %d)", a.Begin, a.End)
	}
	wantUnusable(t, "Close", a.Close())
}

func TestAppenderAbortCancelled(t *testing.T) {
	a, err := appenderHeldUp(t, (*gazette.Appender).Abort)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	_, err = a.Write([]byte("more"))
	wantUnusable(t, "Write", err)
}

// A context that ended before the call: it returns at once and the
// transaction is rolled back.
func TestAppenderEndedContext(t *testing.T) {
	cl := newClient(t)
	j := newJournal(t, cl)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := cl.NewAppender(ctx, j, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("never visible")); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := a.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	wantUnusable(t, "Close", a.Close())
	// Nothing was committed: the next append lands at offset 0.
	b, _, err := cl.Append(testCtx(t), j, []byte("x"), nil)
	if err != nil || b != 0 {
		t.Fatalf("append after the rolled-back transaction: begin %d, %v", b, err)
	}
}

// StartAppend waits for the journal's batch while another caller holds it.
func TestStartAppendCancelled(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)
	svc, err := cl.NewAppendService()
	if err != nil {
		t.Fatal(err)
	}
	held, err := svc.StartAppend(ctx, j, nil)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		aa, err := svc.StartAppend(cctx, j, nil)
		if err == nil {
			aa.Abort()
		}
		done <- err
	}()
	cancel() // the holder never releases before this: only cancellation ends the wait
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	// The cancelled start took nothing: the holder's append commits, and the
	// next start gets the journal.
	held.Write([]byte("first\n"))
	f, err := held.Release()
	if err != nil {
		t.Fatal(err)
	}
	next, err := svc.StartAppend(ctx, j, nil)
	if err != nil {
		t.Fatal(err)
	}
	next.Write([]byte("second\n"))
	g, err := next.Release()
	if err != nil {
		t.Fatal(err)
	}
	for _, fu := range []*gazette.Future{f, g} {
		if err := fu.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, end := g.Commit(); end != int64(len("first\nsecond\n")) {
		t.Fatalf("the journal ends at %d after both appends", end)
	}
	if err := svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNewPolledListCancelled(t *testing.T) {
	cl := newClient(t)
	newJournal(t, cl)
	devControl(t, "delay list 600000")
	t.Cleanup(func() { devControl(t, "clear_faults") })
	before, _ := cl.Stat("other_rpcs")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		pl, err := cl.NewPolledList(ctx, "", time.Second)
		if err == nil {
			pl.Close()
		}
		done <- err
	}()
	awaitRPC(t, cl, "other_rpcs", before)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	devControl(t, "clear_faults")
	// The client is still usable: a new list works.
	pl, err := cl.NewPolledList(testCtx(t), "", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pl.Close()
}

// Close with an ended context closes and frees the client without waiting
// for the library's threads, returning ctx.Err(); its handles report
// ErrClosed.
func TestClientCloseEndedContext(t *testing.T) {
	base := gazette.LiveHandles()
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)
	r, err := cl.NewReader(ctx, j, &gazette.ReadOptions{Block: true})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := cl.Close(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if _, err := r.Read(make([]byte, 8)); !errors.Is(err, gazette.ErrClosed) {
		t.Fatalf("a reader of the closed client: want ErrClosed, got %v", err)
	}
	r.Close()
	if n := gazette.LiveHandles(); n != base {
		t.Fatalf("%d live handles after Close, want %d", n, base)
	}
}

// AppendService.Close cancels the service when its context ends while
// appends are pending.
func TestAppendServiceCloseCancelled(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)
	svc, err := cl.NewAppendService()
	if err != nil {
		t.Fatal(err)
	}
	devControl(t, "delay append 600000")
	t.Cleanup(func() { devControl(t, "clear_faults") })
	before, _ := cl.Stat("append_rpcs")
	aa, err := svc.StartAppend(ctx, j, nil)
	if err != nil {
		t.Fatal(err)
	}
	aa.Write([]byte("pending\n"))
	f, err := aa.Release()
	if err != nil {
		t.Fatal(err)
	}
	awaitRPC(t, cl, "append_rpcs", before)
	cctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- svc.Close(cctx) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	<-f.Done()
	if err := f.Err(); !errors.Is(err, gazette.ErrCancelled) {
		t.Fatalf("the pending append: want ErrCancelled, got %v", err)
	}
}
