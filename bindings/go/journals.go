package gazette

/*
#include <stdlib.h>
#include <gazette.h>
*/
import "C"

import (
	"context"
	"runtime"
	"time"
	"unsafe"
)

// Label is one name/value label of a journal.
type Label struct{ Name, Value string }

// JournalSpec describes a journal to create or update. Zero fields keep the
// library's defaults.
type JournalSpec struct {
	Name             string
	Labels           []Label
	Replication      int32
	FragmentLength   int64
	CompressionCodec int32 // wire value: 1 NONE, 2 GZIP, 3 ZSTANDARD, 4 SNAPPY, 5 GZIP_OFFLOAD
	FlushInterval    time.Duration
	RefreshInterval  time.Duration
	Retention        time.Duration
	MaxAppendRate    int64
	Flags            uint32
	Stores           []string // fragment store URLs, e.g. "file:///"
}

// Journal is a journal as listed by the brokers.
type Journal struct {
	JournalSpec
	ModRevision    int64
	CreateRevision int64
	Route          []string // member endpoints
	Primary        int      // index into Route, -1 without a primary
}

func (sp *JournalSpec) build() (*C.gazette_journal_spec, error) {
	n, nl := cstr(sp.Name)
	defer C.free(unsafe.Pointer(n))
	var c *C.gazette_journal_spec
	var e *C.gazette_error
	if err := takeErr(C.gazette_journal_spec_new(n, nl, &c, &e), e); err != nil {
		return nil, err
	}
	steps := []func() C.gazette_status{}
	for _, l := range sp.Labels {
		l := l
		steps = append(steps, func() C.gazette_status {
			a, al := cstr(l.Name)
			b, bl := cstr(l.Value)
			defer C.free(unsafe.Pointer(a))
			defer C.free(unsafe.Pointer(b))
			return C.gazette_journal_spec_add_label(c, a, al, b, bl, &e)
		})
	}
	for _, st := range sp.Stores {
		st := st
		steps = append(steps, func() C.gazette_status {
			a, al := cstr(st)
			defer C.free(unsafe.Pointer(a))
			return C.gazette_journal_spec_add_store(c, a, al, &e)
		})
	}
	if sp.Replication != 0 {
		steps = append(steps, func() C.gazette_status {
			return C.gazette_journal_spec_set_replication(c, C.int32_t(sp.Replication), &e)
		})
	}
	if sp.FragmentLength != 0 {
		steps = append(steps, func() C.gazette_status {
			return C.gazette_journal_spec_set_fragment_length(c, C.int64_t(sp.FragmentLength), &e)
		})
	}
	if sp.CompressionCodec != 0 {
		steps = append(steps, func() C.gazette_status {
			return C.gazette_journal_spec_set_compression_codec(c, C.int32_t(sp.CompressionCodec), &e)
		})
	}
	if sp.FlushInterval != 0 {
		steps = append(steps, func() C.gazette_status {
			return C.gazette_journal_spec_set_flush_interval_ms(c, C.int64_t(sp.FlushInterval/time.Millisecond), &e)
		})
	}
	if sp.RefreshInterval != 0 {
		steps = append(steps, func() C.gazette_status {
			return C.gazette_journal_spec_set_refresh_interval_ms(c, C.int64_t(sp.RefreshInterval/time.Millisecond), &e)
		})
	}
	if sp.Retention != 0 {
		steps = append(steps, func() C.gazette_status {
			return C.gazette_journal_spec_set_retention_ms(c, C.int64_t(sp.Retention/time.Millisecond), &e)
		})
	}
	if sp.MaxAppendRate != 0 {
		steps = append(steps, func() C.gazette_status {
			return C.gazette_journal_spec_set_max_append_rate(c, C.int64_t(sp.MaxAppendRate), &e)
		})
	}
	if sp.Flags != 0 {
		steps = append(steps, func() C.gazette_status { return C.gazette_journal_spec_set_flags(c, C.uint32_t(sp.Flags), &e) })
	}
	for _, s := range steps {
		if err := takeErr(s(), e); err != nil {
			C.gazette_journal_spec_free(c)
			return nil, err
		}
		e = nil
	}
	return c, nil
}

// Change is one change of an Apply: an upsert of Upsert, or a delete of Delete.
type Change struct {
	Upsert            *JournalSpec
	Delete            string
	ExpectModRevision int64 // 0: must not exist yet (upsert) / any; -1: any revision
}

// Apply applies changes as one transaction (batchSize 0) or in batches and
// returns the broker's revision.
func (cl *Client) Apply(ctx context.Context, changes []Change, batchSize int) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	req := C.gazette_apply_request_new()
	defer func() { C.gazette_apply_request_free(req) }() // NULL once handed on
	for _, ch := range changes {
		var e *C.gazette_error
		var s C.gazette_status
		if ch.Upsert != nil {
			sp, err := ch.Upsert.build()
			if err != nil {
				return 0, err
			}
			s = C.gazette_apply_request_upsert(req, sp, C.int64_t(ch.ExpectModRevision), &e)
			C.gazette_journal_spec_free(sp)
		} else {
			n, nl := cstr(ch.Delete)
			s = C.gazette_apply_request_delete(req, n, nl, C.int64_t(ch.ExpectModRevision), &e)
			C.free(unsafe.Pointer(n))
		}
		if err := takeErr(s, e); err != nil {
			return 0, err
		}
	}
	ms := deadlineMs(ctx)
	apply, req := req, nil // the call below owns and frees it
	return detached(ctx, func() (int64, error) {
		defer C.gazette_apply_request_free(apply)
		var rev C.int64_t
		var e *C.gazette_error
		err := takeErr(C.gazette_apply(cl.c, apply, C.size_t(batchSize), ms, &rev, &e), e)
		runtime.KeepAlive(cl)
		return int64(rev), err
	})
}

func journalFrom(j *C.gazette_journal) Journal {
	var out Journal
	out.Name = gostr(C.gazette_journal_name(j))
	for i := C.size_t(0); i < C.gazette_journal_label_count(j); i++ {
		out.Labels = append(out.Labels, Label{gostr(C.gazette_journal_label_name(j, i)), gostr(C.gazette_journal_label_value(j, i))})
	}
	for i := C.size_t(0); i < C.gazette_journal_store_count(j); i++ {
		out.Stores = append(out.Stores, gostr(C.gazette_journal_store(j, i)))
	}
	for i := C.size_t(0); i < C.gazette_journal_route_len(j); i++ {
		out.Route = append(out.Route, gostr(C.gazette_journal_route_endpoint(j, i)))
	}
	out.Primary = int(C.gazette_journal_route_primary(j))
	out.Replication = int32(C.gazette_journal_replication(j))
	out.FragmentLength = int64(C.gazette_journal_fragment_length(j))
	out.CompressionCodec = int32(C.gazette_journal_compression_codec(j))
	out.Flags = uint32(C.gazette_journal_flags(j))
	out.ModRevision = int64(C.gazette_journal_mod_revision(j))
	out.CreateRevision = int64(C.gazette_journal_create_revision(j))
	return out
}

func journalsFrom(l *C.gazette_journal_list) []Journal {
	defer C.gazette_journal_list_free(l)
	n := C.gazette_journal_list_len(l)
	out := make([]Journal, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		out = append(out, journalFrom(C.gazette_journal_list_get(l, i)))
	}
	return out
}

// ListJournals lists the journals matching a label selector ("" for all,
// e.g. "app=demo,name:prefix=logs/").
func (cl *Client) ListJournals(ctx context.Context, selector string) ([]Journal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ms := deadlineMs(ctx)
	return detached(ctx, func() ([]Journal, error) {
		s, sl := cstr(selector)
		defer C.free(unsafe.Pointer(s))
		var l *C.gazette_journal_list
		var e *C.gazette_error
		err := takeErr(C.gazette_list_journals(cl.c, s, sl, ms, &l, &e), e)
		runtime.KeepAlive(cl)
		if err != nil {
			return nil, err
		}
		return journalsFrom(l), nil
	})
}

// GetJournal returns one journal (ErrJournalDoesNotExist when absent).
func (cl *Client) GetJournal(ctx context.Context, name string) (*Journal, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ms := deadlineMs(ctx)
	return detached(ctx, func() (*Journal, error) {
		n, nl := cstr(name)
		defer C.free(unsafe.Pointer(n))
		var j *C.gazette_journal
		var e *C.gazette_error
		err := takeErr(C.gazette_get_journal(cl.c, n, nl, ms, &j, &e), e)
		runtime.KeepAlive(cl)
		if err != nil {
			return nil, err
		}
		defer C.gazette_journal_free(j)
		out := journalFrom(j)
		return &out, nil
	})
}

// Fragment is one fragment of a journal.
type Fragment struct {
	Begin, End       int64
	Sum              string // SHA-1, hex
	CompressionCodec int32
	BackingStore     string
	ModTime          time.Time
	PathPostfix      string
}

func fragmentFrom(f *C.gazette_fragment) Fragment {
	return Fragment{
		Begin:            int64(C.gazette_fragment_begin(f)),
		End:              int64(C.gazette_fragment_end(f)),
		Sum:              gostr(C.gazette_fragment_sum(f)),
		CompressionCodec: int32(C.gazette_fragment_compression_codec(f)),
		BackingStore:     gostr(C.gazette_fragment_backing_store(f)),
		ModTime:          time.Unix(int64(C.gazette_fragment_mod_time(f)), 0),
		PathPostfix:      gostr(C.gazette_fragment_path_postfix(f)),
	}
}

// ListFragments lists journal's fragments modified in [begin, end) (zero: unbounded).
func (cl *Client) ListFragments(ctx context.Context, journal string, begin, end time.Time) ([]Fragment, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var b, en int64
	if !begin.IsZero() {
		b = begin.Unix()
	}
	if !end.IsZero() {
		en = end.Unix()
	}
	ms := deadlineMs(ctx)
	return detached(ctx, func() ([]Fragment, error) {
		j, jl := cstr(journal)
		defer C.free(unsafe.Pointer(j))
		var l *C.gazette_fragment_list
		var e *C.gazette_error
		err := takeErr(C.gazette_list_fragments(cl.c, j, jl, C.int64_t(b), C.int64_t(en), ms, &l, &e), e)
		runtime.KeepAlive(cl)
		if err != nil {
			return nil, err
		}
		defer C.gazette_fragment_list_free(l)
		n := C.gazette_fragment_list_len(l)
		out := make([]Fragment, 0, int(n))
		for i := C.size_t(0); i < n; i++ {
			out = append(out, fragmentFrom(C.gazette_fragment_list_get(l, i)))
		}
		return out, nil
	})
}

// FragmentStoreHealth checks a fragment store through the brokers; brokers
// older than the release that added the RPC answer ErrUnsupported.
func (cl *Client) FragmentStoreHealth(ctx context.Context, store, checkDeletePrefix string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s, sl := cstr(store)
	p, pl := cstr(checkDeletePrefix)
	timeout := deadlineMs(ctx)
	_, err := detached(ctx, func() (struct{}, error) {
		defer C.free(unsafe.Pointer(s))
		defer C.free(unsafe.Pointer(p))
		var e *C.gazette_error
		return struct{}{}, takeErr(C.gazette_fragment_store_health(cl.c, s, sl, p, pl, timeout, &e), e)
	})
	return err
}

// AwaitAssignment waits until a broker is primary for journal: brokers
// assign a journal a little after Apply creates it (and again after its
// broker goes away). Call it before opening an appender or reader on a new
// journal. ErrJournalDoesNotExist if there is no such journal.
func (cl *Client) AwaitAssignment(ctx context.Context, journal string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j, jl := cstr(journal)
	timeout := deadlineMs(ctx)
	_, err := detached(ctx, func() (struct{}, error) {
		defer C.free(unsafe.Pointer(j))
		var e *C.gazette_error
		return struct{}{}, takeErr(C.gazette_client_await_assignment(cl.c, j, jl, timeout, &e), e)
	})
	return err
}

// PolledList keeps the journals of a selector up to date by listing them periodically.
type PolledList struct {
	pl *C.gazette_polled_list
	cl *Client
}

// NewPolledList lists once (under ctx) and then every interval. The first
// listing cannot resume after a timeout, so it runs detached (see
// detachedOr): when ctx ends first, NewPolledList returns ctx.Err() and the
// list, if the listing still succeeds, is freed at once.
func (cl *Client) NewPolledList(ctx context.Context, selector string, interval time.Duration) (*PolledList, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, sl := cstr(selector)
	ms := deadlineMs(ctx)
	out, err, _ := detachedOr(ctx, func() (*C.gazette_polled_list, error) {
		defer C.free(unsafe.Pointer(s))
		var out *C.gazette_polled_list
		var e *C.gazette_error
		err := takeErr(C.gazette_polled_list_new(cl.c, s, sl, C.int32_t(interval/time.Millisecond), ms, &out, &e), e)
		runtime.KeepAlive(cl)
		return out, err
	}, func(out *C.gazette_polled_list, _ error) { C.gazette_polled_list_free(out) })
	if err != nil {
		return nil, err
	}
	p := &PolledList{pl: out, cl: cl}
	runtime.SetFinalizer(p, func(p *PolledList) { C.gazette_polled_list_free(p.pl) })
	return p, nil
}

// Journals is the latest listing.
func (p *PolledList) Journals() ([]Journal, error) {
	var l *C.gazette_journal_list
	var e *C.gazette_error
	err := takeErr(C.gazette_polled_list_get(p.pl, &l, &e), e)
	runtime.KeepAlive(p)
	if err != nil {
		return nil, err
	}
	return journalsFrom(l), nil
}

// WaitUpdate blocks until the listing changed or ctx ended.
func (p *PolledList) WaitUpdate(ctx context.Context) error {
	defer runtime.KeepAlive(p)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var e *C.gazette_error
		s := C.gazette_polled_list_wait_update(p.pl, sliceMs(ctx), &e)
		if s != C.GAZETTE_STATUS_TIMED_OUT {
			return takeErr(s, e)
		}
		if e != nil {
			C.gazette_error_free(e)
		}
	}
}

// Close frees the list.
func (p *PolledList) Close() {
	runtime.SetFinalizer(p, nil)
	C.gazette_polled_list_free(p.pl)
	p.pl = nil
}
