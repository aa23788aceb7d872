package gazette_test

import (
	"strings"
	"testing"

	gazette "libgazette.dev/gazette"
)

func TestWatchedList(t *testing.T) {
	cl := newClient(t)
	ctx := testCtx(t)
	j := newJournal(t, cl)
	tag := strings.TrimPrefix(j, "go-test/")
	if _, err := cl.NewWatchedList("=bad="); err == nil {
		t.Fatal("a bad selector was accepted")
	}
	w, err := cl.NewWatchedList("go-test=" + tag)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var js []gazette.Journal
	for len(js) == 0 {
		if err := w.WaitUpdate(ctx); err != nil {
			t.Fatal("waiting for the first snapshot:", err)
		}
		if js, err = w.Journals(); err != nil {
			t.Fatal(err)
		}
	}
	if len(js) != 1 || js[0].Name != j {
		t.Fatalf("snapshot %+v, want just %s", js, j)
	}
}

func TestStatuses(t *testing.T) {
	all := gazette.Statuses()
	seen := false
	for i, s := range all {
		if i > 0 && s <= all[i-1] {
			t.Fatalf("not ascending at %d: %v", i, all)
		}
		if gazette.StatusName(s) == "UNKNOWN" {
			t.Fatalf("status %d has no name", s)
		}
		seen = seen || s == gazette.ErrUnsupported.Status
	}
	if len(all) < 50 || !seen || all[0] != 0 {
		t.Fatalf("statuses %v", all)
	}
}
