package gazette_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	gazette "libgazette.dev/gazette"
)

func TestAppendAndRead(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)

	b, e, err := cl.Append(ctx, j, []byte("hello "), nil)
	if err != nil || b != 0 || e != 6 {
		t.Fatalf("append: %d %d %v", b, e, err)
	}
	a, err := cl.NewAppender(ctx, j, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(a, "wor")
	io.WriteString(a, "ld")
	if err := a.Close(); err != nil || a.Begin != 6 || a.End != 11 {
		t.Fatalf("appender close: %v [%d,%d)", err, a.Begin, a.End)
	}
	// An aborted transaction leaves nothing behind.
	a, _ = cl.NewAppender(ctx, j, nil)
	io.WriteString(a, "LOST")
	if err := a.Abort(); err != nil {
		t.Fatal(err)
	}

	r, err := cl.NewReader(ctx, j, &gazette.ReadOptions{EndOffset: 11})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "hello world" {
		t.Fatalf("read %q, %v", got, err)
	}
	if r.Offset() != 11 {
		t.Fatalf("offset %d", r.Offset())
	}

	// The chunk variant lends the same bytes.
	rr, err := cl.NewRetryReader(ctx, j, &gazette.ReadOptions{EndOffset: 11})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	var buf bytes.Buffer
	for {
		c, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(c)
	}
	if buf.String() != "hello world" {
		t.Fatalf("chunks %q", buf.String())
	}

	// Conditional appends fail with a named error.
	_, _, err = cl.Append(ctx, j, []byte("x"), &gazette.AppendOptions{Offset: 3})
	if !errors.Is(err, gazette.ErrWrongAppendOffset) {
		t.Fatalf("expected ErrWrongAppendOffset, got %v", err)
	}
}

func TestNamedErrors(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	_, err := cl.GetJournal(ctx, "go-test/does-not-exist")
	if !errors.Is(err, gazette.ErrJournalDoesNotExist) {
		t.Fatalf("expected ErrJournalDoesNotExist, got %v", err)
	}
	var ge *gazette.Error
	if !errors.As(err, &ge) || ge.Message == "" {
		t.Fatalf("no message in %#v", err)
	}
	if err := cl.AwaitAssignment(ctx, "go-test/does-not-exist"); !errors.Is(err, gazette.ErrJournalDoesNotExist) {
		t.Fatalf("await assignment of a missing journal: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := cl.AwaitAssignment(cancelled, "go-test/does-not-exist"); !errors.Is(err, context.Canceled) {
		t.Fatalf("await assignment under a cancelled context: %v", err)
	}
	if gazette.StatusName(gazette.ErrUnsupported.Status) != "UNSUPPORTED" {
		t.Fatal("ErrUnsupported is not UNSUPPORTED")
	}
	j := newJournal(t, cl)
	r, _ := cl.NewReader(ctx, j, &gazette.ReadOptions{Block: false})
	defer r.Close()
	_, err = r.Read(make([]byte, 10))
	if !errors.Is(err, gazette.ErrOffsetNotYetAvailable) {
		t.Fatalf("expected ErrOffsetNotYetAvailable, got %v", err)
	}
	if errors.Is(err, gazette.ErrOffsetJump) {
		t.Fatal("errors.Is matched a different status")
	}
}

func TestJournalsAndFragments(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)
	if _, _, err := cl.Append(ctx, j, []byte("fragment content"), nil); err != nil {
		t.Fatal(err)
	}
	got, err := cl.GetJournal(ctx, j)
	if err != nil || got.Name != j || len(got.Route) == 0 || got.Stores[0] != "file:///" {
		t.Fatalf("get journal: %+v %v", got, err)
	}
	all, err := cl.ListJournals(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range all {
		found = found || x.Name == j
	}
	if !found {
		t.Fatalf("%s not listed", j)
	}
	frags, err := cl.ListFragments(ctx, j, time.Time{}, time.Time{})
	if err != nil || len(frags) == 0 || frags[0].Begin != 0 {
		t.Fatalf("fragments: %+v %v", frags, err)
	}
	// Update with the listed revision, then delete.
	spec := got.JournalSpec
	spec.Labels = append(spec.Labels, gazette.Label{Name: "extra", Value: "1"})
	rev, err := cl.Apply(ctx, []gazette.Change{{Upsert: &spec, ExpectModRevision: got.ModRevision}}, 0)
	if err != nil || rev <= got.ModRevision {
		t.Fatalf("update: %d %v", rev, err)
	}
	_, err = cl.Apply(ctx, []gazette.Change{{Delete: j, ExpectModRevision: got.ModRevision}}, 0)
	if !errors.Is(err, gazette.ErrEtcdTransactionFailed) {
		t.Fatalf("stale delete: %v", err)
	}
	if _, err := cl.Apply(ctx, []gazette.Change{{Delete: j, ExpectModRevision: -1}}, 0); err != nil {
		t.Fatal(err)
	}
}

func TestAppendService(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j1, j2 := newJournal(t, cl), newJournal(t, cl)
	svc, err := cl.NewAppendService()
	if err != nil {
		t.Fatal(err)
	}
	var futures []*gazette.Future
	for i := 0; i < 100; i++ {
		aa, err := svc.StartAppend(ctx, j1, nil)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(aa, "record %d\n", i)
		f, err := aa.Release()
		if err != nil {
			t.Fatal(err)
		}
		futures = append(futures, f)
	}
	// An append to j2 ordered after everything pending elsewhere.
	deps, err := svc.PendingExcept(j2)
	if err != nil {
		t.Fatal(err)
	}
	aa, err := svc.StartAppend(ctx, j2, deps)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(aa, "after\n")
	last, err := aa.Release()
	if err != nil {
		t.Fatal(err)
	}
	// An aborted async append contributes nothing.
	aa, _ = svc.StartAppend(ctx, j1, nil)
	io.WriteString(aa, "LOST\n")
	aa.Abort()

	select {
	case <-last.Done():
	case <-ctx.Done():
		t.Fatal("dependent append never completed")
	}
	if err := last.Err(); err != nil {
		t.Fatal(err)
	}
	for _, f := range futures {
		select {
		case <-f.Done(): // a dependency completes before its dependent
		default:
			t.Fatal("a dependency was not done before its dependent")
		}
		if err := f.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var end int64
	for _, f := range futures {
		if _, e := f.Commit(); e > end {
			end = e
		}
	}
	r, _ := cl.NewReader(ctx, j1, &gazette.ReadOptions{EndOffset: end})
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&want, "record %d\n", i)
	}
	if got := string(got); got != want.String() {
		t.Fatalf("journal holds %q", got)
	}
}

func TestSeekAndFragment(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)
	if _, _, err := cl.Append(ctx, j, []byte("0123456789"), nil); err != nil {
		t.Fatal(err)
	}
	rr, err := cl.NewRetryReader(ctx, j, &gazette.ReadOptions{EndOffset: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	b := make([]byte, 2)
	if _, err := io.ReadFull(rr, b); err != nil || string(b) != "01" {
		t.Fatalf("read %q %v", b, err)
	}
	if f, _ := rr.Fragment(); f == nil || f.Begin != 0 {
		t.Fatalf("fragment %+v", f)
	}
	if off, err := rr.Seek(7, io.SeekStart); err != nil || off != 7 {
		t.Fatalf("seek: %d %v", off, err)
	}
	rest, err := io.ReadAll(rr)
	if err != nil || string(rest) != "789" {
		t.Fatalf("after seek %q %v", rest, err)
	}
	if _, err := rr.Seek(-5, io.SeekCurrent); err != nil {
		t.Fatal(err)
	}
	if n, err := rr.Read(b); err != nil || string(b[:n]) != "56"[:n] {
		t.Fatalf("after relative seek %q %v", b[:n], err)
	}
	if err := cl.FragmentStoreHealth(ctx, "file:///", ""); err != nil {
		t.Fatal("fragment store health:", err)
	}
}
