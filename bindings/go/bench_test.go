package gazette_test

import (
	"bytes"
	"io"
	"testing"

	gazette "libgazette.dev/gazette"
)

// The cost of one cgo round trip into the library: StatusName is a single
// C call that returns a static string (plus the C-to-Go string copy).
func BenchmarkCgoCallStatusName(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = gazette.StatusName(4)
	}
}

// One 100 B record per Append RPC, as the "one 100 B record per txn" row of
// benches/REPORT.md.
func BenchmarkAppend100B(b *testing.B) {
	cl := newClient(b)
	j := newJournal(b, cl)
	ctx := testCtx(b) // one context: testCtx registers a cleanup per call
	rec := bytes.Repeat([]byte("x"), 100)
	b.SetBytes(100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := cl.Append(ctx, j, rec, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// 4 KiB writes streamed through one Appender per 4 MiB, as the "Appender,
// 4 KiB writes, 4 MiB txns" row: one cgo call per write.
func BenchmarkAppender4KiBWrites(b *testing.B) {
	cl := newClient(b)
	j := newJournal(b, cl)
	ctx := testCtx(b) // one context: testCtx registers a cleanup per call
	rec := bytes.Repeat([]byte("y"), 4096)
	b.SetBytes(4096)
	b.ResetTimer()
	var a *gazette.Appender
	for i := 0; i < b.N; i++ {
		if a == nil {
			var err error
			if a, err = cl.NewAppender(ctx, j, nil); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := a.Write(rec); err != nil {
			b.Fatal(err)
		}
		if i%1024 == 1023 {
			if err := a.Close(); err != nil {
				b.Fatal(err)
			}
			a = nil
		}
	}
	if a != nil {
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// Reads 8 MiB through Reader.Next (zero copy, one cgo call per chunk),
// as the "Reader::next_chunk" row of the read table.
func BenchmarkReadNext8MiB(b *testing.B) {
	cl := newClient(b)
	j := newJournal(b, cl)
	ctx := testCtx(b) // one context: testCtx registers a cleanup per call
	const size = 8 << 20
	if _, _, err := cl.Append(testCtx(b), j, bytes.Repeat([]byte("z"), size), nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := cl.NewReader(ctx, j, &gazette.ReadOptions{EndOffset: size, Block: true})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			c, err := r.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n += len(c)
		}
		r.Close()
		if n != size {
			b.Fatalf("read %d bytes", n)
		}
	}
}
