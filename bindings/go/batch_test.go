package gazette_test

import (
	"fmt"
	"testing"

	gazette "libgazette.dev/gazette"
)

// Appends released back to back are batched; each future tells its batch,
// and futures share a batch number exactly when they share a commit span.
func TestFutureBatch(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)
	svc, err := cl.NewAppendService()
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close(ctx)
	var futures []*gazette.Future
	for i := 0; i < 50; i++ {
		aa, err := svc.StartAppend(ctx, j, nil)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(aa, "%02d", i)
		f, err := aa.Release()
		if err != nil {
			t.Fatal(err)
		}
		futures = append(futures, f)
	}
	type span struct{ b, e int64 }
	batchOf := map[span]uint64{}
	spanOf := map[uint64]span{}
	for i, f := range futures {
		if err := f.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		n := f.Batch()
		if n == 0 {
			t.Fatalf("future %d has batch 0", i)
		}
		b, e := f.Commit()
		s := span{b, e}
		if s.b > int64(2*i) || s.e < int64(2*i+2) {
			t.Fatalf("append %d (bytes [%d, %d)) is outside its batch's span [%d, %d)", i, 2*i, 2*i+2, b, e)
		}
		if m, ok := batchOf[s]; ok && m != n {
			t.Fatalf("future %d: batch %d, but span [%d, %d) belongs to batch %d", i, n, b, e, m)
		}
		if o, ok := spanOf[n]; ok && o != s {
			t.Fatalf("future %d: batch %d spans [%d, %d), and [%d, %d) for an earlier future", i, n, b, e, o.b, o.e)
		}
		batchOf[s], spanOf[n] = n, s
	}
	t.Logf("%d appends went out in %d batches", len(futures), len(spanOf))
}
