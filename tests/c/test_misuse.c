/* Misuse of the C API that must not crash (run plain, under ASan+UBSan and
 * under valgrind by tests/c/run): NULL everywhere, lengths past the end,
 * invalid UTF-8, enum values out of range passed as integers, indexes past
 * the end, calls on closed clients and on children whose parent was freed,
 * a one-call-at-a-time handle used from two threads, and callbacks that
 * call back into the library. Each call must return its documented status.
 * Needs no broker: the endpoint is a closed port. */
#include "harness.h"

#include <pthread.h>
#include <stdint.h>

static const char bad_utf8[] = {'a', 'b', (char)0xff, (char)0xfe};

static gazette_client *client_of(const char *endpoint) {
    gazette_config *cfg = gazette_config_new();
    gazette_client *client = NULL;
    CHECK_STATUS(gazette_config_add_endpoint(cfg, S(endpoint), NULL), GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_client_new(cfg, &client, NULL), GAZETTE_STATUS_OK);
    gazette_config_free(cfg);
    return client;
}

static void test_nulls_and_bad_text(void) {
    gazette_selector *sel = NULL;
    gazette_reader *reader = NULL;
    gazette_config *cfg = gazette_config_new();
    gazette_client *client = client_of("http://127.0.0.1:1");
    gazette_error *err = NULL;

    CHECK_STATUS(gazette_selector_parse(NULL, 3, &sel, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_selector_parse(bad_utf8, sizeof bad_utf8, &sel, NULL),
                 GAZETTE_STATUS_INVALID_UTF8);
    CHECK_STATUS(gazette_selector_parse(S("a=b"), NULL, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK(sel == NULL);
    CHECK_STATUS(gazette_config_add_endpoint(NULL, S("http://x:1"), NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_config_add_endpoint(cfg, bad_utf8, sizeof bad_utf8, &err),
                 GAZETTE_STATUS_INVALID_UTF8);
    CHECK(err != NULL && gazette_error_status(err) == GAZETTE_STATUS_INVALID_UTF8);
    gazette_error_free(err);
    CHECK_STATUS(gazette_reader_new(NULL, S("a/journal"), NULL, &reader, NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_reader_new(client, bad_utf8, sizeof bad_utf8, NULL, &reader, NULL),
                 GAZETTE_STATUS_INVALID_UTF8);
    CHECK_STATUS(gazette_reader_new(client, S("a/journal"), NULL, NULL, NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK(reader == NULL);
    CHECK_STATUS(gazette_append(client, bad_utf8, sizeof bad_utf8, NULL, 0, NULL, 100, NULL,
                                NULL, NULL),
                 GAZETTE_STATUS_INVALID_UTF8);
    /* data NULL with a length is refused, not read. */
    CHECK_STATUS(gazette_append(client, S("a/journal"), NULL, 5, NULL, 100, NULL, NULL, NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_append_service_options_set_spill_dir(NULL, S("/tmp"), NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    {
        gazette_append_service_options *o = gazette_append_service_options_new();
        CHECK_STATUS(gazette_append_service_options_set_spill_dir(o, bad_utf8, sizeof bad_utf8,
                                                                  NULL),
                     GAZETTE_STATUS_INVALID_UTF8);
        CHECK_STATUS(gazette_append_service_options_set_spill_dir(o, S(""), NULL),
                     GAZETTE_STATUS_OK);
        gazette_append_service_options_free(o);
    }
    /* Frees and accessors are NULL-safe. */
    gazette_reader_free(NULL);
    gazette_selector_free(NULL);
    gazette_error_free(NULL);
    CHECK(gazette_reader_offset(NULL) == -1);
    CHECK(gazette_journal_list_len(NULL) == 0);
    CHECK(gazette_journal_list_get(NULL, 0) == NULL);
    gazette_config_free(cfg);
    gazette_client_free(client);
}

static void test_out_of_range(void) {
    gazette_journal_spec *spec = NULL;
    size_t n = gazette_status_count();
    CHECK(gazette_status_at(n) == -1);
    CHECK(gazette_status_at(n + 1000) == -1);
    CHECK(gazette_status_at((size_t)-1) == -1);
    /* Unknown status values still have a (non-NULL) name. */
    CHECK(gazette_status_name((gazette_status)12345) != NULL);
    CHECK(gazette_status_name((gazette_status)-7) != NULL);
    CHECK_STATUS(gazette_journal_spec_new(S("a/journal"), &spec, NULL), GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_journal_spec_set_compression_codec(spec, 99, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_journal_spec_set_compression_codec(spec, -1, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    gazette_journal_spec_free(spec);
}

/* (ptr, len) with len > 0 and ptr NULL is NULL_POINTER; a length no object
 * can have (SIZE_MAX, a negative int passed as size_t, above PTRDIFF_MAX)
 * is INVALID_ARGUMENT, with the pointer never read past its bytes. */
static void test_lengths(void) {
    gazette_client *client = client_of("http://127.0.0.1:1");
    gazette_config *cfg = gazette_config_new();
    gazette_selector *sel = NULL;
    gazette_journal_spec *spec = NULL;
    gazette_reader *reader = NULL;
    gazette_retry_reader *rr = NULL;
    gazette_appender *app = NULL;
    gazette_append_service *svc = NULL;
    gazette_async_append *aa = NULL;
    gazette_journal_list *list = NULL;
    gazette_journal *journal = NULL;
    gazette_cq *cq = gazette_cq_new();
    const uint8_t *data = NULL;
    uint8_t buf[8];
    size_t n = 0, len = 0;
    const size_t huge[] = {SIZE_MAX, (size_t)-5, (size_t)PTRDIFF_MAX + 1};
    size_t i;

    CHECK_STATUS(gazette_config_add_endpoint(cfg, NULL, 5, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_config_set_bearer_token(cfg, NULL, 5, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_config_set_tls_ca_pem(cfg, NULL, 5, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_config_set_auth_keys(cfg, NULL, 5, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_journal_spec_new(NULL, 5, &spec, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_retry_reader_new(client, NULL, 5, NULL, &rr, NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_appender_new(client, NULL, 5, NULL, &app, NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_list_journals(client, NULL, 5, 100, &list, NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_get_journal(client, NULL, 5, 100, &journal, NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_cq_set_notify_fd(cq, 1, NULL, 5, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK(spec == NULL && rr == NULL && app == NULL && list == NULL && journal == NULL);

    CHECK_STATUS(gazette_reader_new(client, S("a/journal"), NULL, &reader, NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_appender_new(client, S("a/journal"), NULL, &app, NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_append_service_new(client, NULL, &svc, NULL), GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_append_service_start(svc, S("a/journal"), NULL, NULL, 1000, &aa, NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_appender_write(app, NULL, 5, 100, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_async_append_write(aa, NULL, 5, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_async_append_require(aa, GAZETTE_STATUS_INTERNAL, NULL, 5, NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_reader_read(reader, NULL, 8, 0, &n, NULL), GAZETTE_STATUS_NULL_POINTER);

    for (i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        const size_t big = huge[i];
        CHECK_STATUS(gazette_selector_parse("a=b", big, &sel, NULL),
                     GAZETTE_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(gazette_config_add_endpoint(cfg, "http://x:1", big, NULL),
                     GAZETTE_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(gazette_config_set_bearer_token(cfg, "t", big, NULL),
                     GAZETTE_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(gazette_journal_spec_new("a/journal", big, &spec, NULL),
                     GAZETTE_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(gazette_retry_reader_new(client, "a/journal", big, NULL, &rr, NULL),
                     GAZETTE_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(gazette_appender_write(app, (const uint8_t *)"x", big, 100, NULL),
                     GAZETTE_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(gazette_async_append_write(aa, (const uint8_t *)"x", big, NULL),
                     GAZETTE_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(gazette_append(client, S("a/journal"), (const uint8_t *)"x", big, NULL, 100,
                                    NULL, NULL, NULL),
                     GAZETTE_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(gazette_reader_read(reader, buf, big, 0, &n, NULL),
                     GAZETTE_STATUS_INVALID_ARGUMENT);
        CHECK(n == 0);
    }
    CHECK(sel == NULL && spec == NULL && rr == NULL);
    CHECK_STATUS(gazette_reader_read(reader, buf, 0, 0, &n, NULL), GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_reader_next(reader, 0, NULL, &len, NULL), GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_reader_next(reader, 0, &data, NULL, NULL), GAZETTE_STATUS_NULL_POINTER);

    /* Documented ranges: worker threads 1..=64, replication 1..=5, message size >= 64 KiB. */
    CHECK_STATUS(gazette_config_set_worker_threads(cfg, 0, NULL), GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_config_set_worker_threads(cfg, 65, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_config_set_worker_threads(cfg, SIZE_MAX, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_config_set_max_message_size(cfg, 1024, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_journal_spec_new(S("a/journal"), &spec, NULL), GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_journal_spec_set_replication(spec, 6, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_journal_spec_set_replication(spec, -1, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);

    gazette_journal_spec_free(spec);
    gazette_async_append_free(aa);
    gazette_append_service_free(svc);
    gazette_appender_free(app);
    gazette_reader_free(reader);
    gazette_cq_free(cq);
    gazette_config_free(cfg);
    gazette_client_free(client);
}

/* A token provider that holds the RPC asking for a token (so the call that
 * started it stays inside the library) until the test lets it go, then
 * fails it. The handshake between the two threads: no sleeps. */
static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cv = PTHREAD_COND_INITIALIZER;
static int hold_next, held, let_go;

static int32_t holding_provider(void *userdata, uint32_t capability, const char *selector,
                                size_t selector_len, int64_t lifetime_ms, gazette_token *out) {
    (void)userdata, (void)capability, (void)selector, (void)selector_len, (void)lifetime_ms;
    (void)out;
    pthread_mutex_lock(&hold_mu);
    if (hold_next) {
        hold_next = 0;
        held = 1;
        pthread_cond_broadcast(&hold_cv);
        while (!let_go) pthread_cond_wait(&hold_cv, &hold_mu);
        let_go = 0;
        held = 0;
    }
    pthread_mutex_unlock(&hold_mu);
    return 1; /* the RPC fails with AUTH_TOKEN_PROVIDER */
}

static void hold_arm(void) {
    pthread_mutex_lock(&hold_mu);
    hold_next = 1;
    pthread_mutex_unlock(&hold_mu);
}

static void hold_wait(void) {
    pthread_mutex_lock(&hold_mu);
    while (!held) pthread_cond_wait(&hold_cv, &hold_mu);
    pthread_mutex_unlock(&hold_mu);
}

static void hold_release(void) {
    pthread_mutex_lock(&hold_mu);
    let_go = 1;
    pthread_cond_broadcast(&hold_cv);
    pthread_mutex_unlock(&hold_mu);
}

struct inside {
    gazette_reader *reader;
    gazette_retry_reader *rr;
    gazette_appender *app;
    gazette_status status;
};

/* The first thread: one call that waits (timeout -1) in the provider. */
static void *call_inside(void *arg) {
    struct inside *in = arg;
    static uint8_t big[2 << 20];
    uint8_t buf[8];
    size_t n = 0;
    if (in->reader) {
        in->status = gazette_reader_read(in->reader, buf, sizeof buf, -1, &n, NULL);
    } else if (in->rr) {
        in->status = gazette_retry_reader_read(in->rr, buf, sizeof buf, -1, &n, NULL);
    } else {
        in->status = gazette_appender_write(in->app, big, sizeof big, -1, NULL);
    }
    return NULL;
}

static pthread_t start_inside(struct inside *in) {
    pthread_t t;
    hold_arm();
    CHECK(pthread_create(&t, NULL, call_inside, in) == 0);
    hold_wait(); /* the call is now inside the library, on the handle */
    return t;
}

static void check_busy(gazette_status st, gazette_error *err, const char *what) {
    CHECK_STATUS(st, GAZETTE_STATUS_BUSY);
    CHECK(err != NULL && gazette_error_status(err) == GAZETTE_STATUS_BUSY);
    CHECK(err != NULL && strstr(gazette_error_message(err), what) != NULL);
    gazette_error_free(err);
}

/* `call` (which fills `err`) must return BUSY with an error naming `what`. */
#define CHECK_BUSY(call, what)                                               \
    do {                                                                     \
        gazette_status st_;                                                  \
        err = NULL;                                                          \
        st_ = (call);                                                        \
        check_busy(st_, err, what);                                          \
    } while (0)

static void test_concurrent_use(void) {
    gazette_config *cfg = gazette_config_new();
    gazette_client *client = NULL;
    gazette_read_options *opts = gazette_read_options_new();
    gazette_cq *cq = gazette_cq_new();
    struct inside in;
    gazette_error *err = NULL;
    const uint8_t *data = NULL;
    uint8_t buf[8];
    size_t n = 0, len = 0;
    pthread_t t;

    CHECK_STATUS(gazette_config_add_endpoint(cfg, S("http://127.0.0.1:1"), NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_config_set_token_provider(cfg, holding_provider, NULL, NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_client_new(cfg, &client, NULL), GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_read_options_set_offset(opts, 7, NULL), GAZETTE_STATUS_OK);

    /* A reader: every call but cancel is refused while a read is inside. */
    memset(&in, 0, sizeof in);
    CHECK_STATUS(gazette_reader_new(client, S("a/journal"), opts, &in.reader, NULL),
                 GAZETTE_STATUS_OK);
    t = start_inside(&in);
    CHECK_BUSY(gazette_reader_read(in.reader, buf, sizeof buf, 0, &n, &err), "reader");
    CHECK(n == 0);
    CHECK_BUSY(gazette_reader_next(in.reader, 0, &data, &len, &err), "reader");
    CHECK(data == NULL && len == 0);
    CHECK_BUSY(gazette_reader_seek(in.reader, 9, 0, &err), "reader");
    CHECK_BUSY(gazette_reader_arm(in.reader, cq, 1, &err), "reader");
    CHECK(gazette_reader_offset(in.reader) == -1);
    CHECK(gazette_reader_write_head(in.reader) == -1);
    CHECK(gazette_reader_fragment(in.reader) == NULL);
    CHECK(gazette_reader_fragment_url(in.reader) != NULL);
    hold_release();
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_STATUS(in.status, GAZETTE_STATUS_AUTH_TOKEN_PROVIDER);
    CHECK(gazette_reader_offset(in.reader) == 7); /* the busy seek changed nothing */
    gazette_reader_free(in.reader);

    /* A retry reader, cancelled from the second thread while busy. */
    memset(&in, 0, sizeof in);
    CHECK_STATUS(gazette_retry_reader_new(client, S("a/journal"), opts, &in.rr, NULL),
                 GAZETTE_STATUS_OK);
    t = start_inside(&in);
    CHECK_BUSY(gazette_retry_reader_read(in.rr, buf, sizeof buf, 0, &n, &err), "retry reader");
    CHECK_BUSY(gazette_retry_reader_seek(in.rr, 0, 0, &err), "retry reader");
    CHECK(gazette_retry_reader_offset(in.rr) == -1);
    gazette_retry_reader_cancel(in.rr);
    hold_release();
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(in.status == GAZETTE_STATUS_CANCELLED ||
          in.status == GAZETTE_STATUS_AUTH_TOKEN_PROVIDER);
    CHECK(gazette_retry_reader_offset(in.rr) == 7);
    gazette_retry_reader_free(in.rr);

    /* An appender. */
    memset(&in, 0, sizeof in);
    CHECK_STATUS(gazette_appender_new(client, S("a/journal"), NULL, &in.app, NULL),
                 GAZETTE_STATUS_OK);
    t = start_inside(&in);
    CHECK_BUSY(gazette_appender_write(in.app, (const uint8_t *)"x", 1, 0, &err), "appender");
    CHECK_BUSY(gazette_appender_close(in.app, 0, NULL, NULL, &err), "appender");
    CHECK_BUSY(gazette_appender_abort(in.app, 0, &err), "appender");
    CHECK(gazette_appender_commit(in.app) == NULL);
    hold_release();
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_STATUS(in.status, GAZETTE_STATUS_AUTH_TOKEN_PROVIDER);
    CHECK_STATUS(gazette_appender_abort(in.app, 1000, NULL), GAZETTE_STATUS_OK);
    gazette_appender_free(in.app);

    gazette_cq_free(cq);
    gazette_read_options_free(opts);
    gazette_config_free(cfg);
    gazette_client_free(client);
}

static int log_calls;
static void log_into_library(void *userdata, gazette_log_level level, const char *target,
                             const char *message) {
    (void)userdata, (void)target, (void)message;
    /* Calling back in from a log callback: plain queries are fine. */
    if (gazette_status_name((gazette_status)level) != NULL) log_calls++;
}

static void test_log_levels(void) {
    CHECK_STATUS(gazette_set_log_callback(log_into_library, NULL, 99, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_set_log_callback(log_into_library, NULL, -3, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_set_log_callback(NULL, NULL, 12345, NULL), GAZETTE_STATUS_OK);
}

static int callbacks;
static gazette_status seen;
/* A completion callback that calls back in: it polls the future it was
 * given (documented as allowed) and asks for status names. */
static void reenter(void *userdata, gazette_append_future *f, gazette_status status) {
    (void)userdata;
    callbacks++;
    seen = status;
    if (f) CHECK_STATUS(gazette_append_future_poll(f, NULL), status);
    CHECK(gazette_status_name(status) != NULL);
}

static int self_frees;
/* A completion callback that frees the very future it was given (allowed:
 * nothing of it may be touched after). */
static void free_self(void *userdata, gazette_append_future *f, gazette_status status) {
    (void)userdata, (void)status;
    self_frees++;
    gazette_append_future_free(f);
}

static void test_closed_and_freed_parents(void) {
    gazette_client *client = client_of("http://127.0.0.1:1");
    gazette_append_service *svc = NULL;
    gazette_async_append *aa = NULL;
    gazette_append_future *fut = NULL;
    gazette_reader *reader = NULL;
    size_t n = 0;
    uint8_t buf[8];

    CHECK_STATUS(gazette_reader_new(client, S("a/journal"), NULL, &reader, NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_append_service_new(client, NULL, &svc, NULL), GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_append_service_start(svc, S("a/journal"), NULL, NULL, 1000, &aa, NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_async_append_require(aa, (gazette_status)0, S("x"), NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_async_append_write(aa, (const uint8_t *)"rec\n", 4, NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_async_append_release(aa, &fut, NULL), GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_append_future_set_callback(fut, reenter, NULL, NULL), GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_append_future_set_callback(fut, reenter, NULL, NULL),
                 GAZETTE_STATUS_INVALID_STATE);
    {
        gazette_append_future *own = NULL;
        CHECK_STATUS(gazette_append_service_start(svc, S("b/journal"), NULL, NULL, 1000, &aa,
                                                  NULL),
                     GAZETTE_STATUS_OK);
        CHECK_STATUS(gazette_async_append_write(aa, (const uint8_t *)"rec\n", 4, NULL),
                     GAZETTE_STATUS_OK);
        CHECK_STATUS(gazette_async_append_release(aa, &own, NULL), GAZETTE_STATUS_OK);
        CHECK_STATUS(gazette_append_future_set_callback(own, free_self, NULL, NULL),
                     GAZETTE_STATUS_OK);
        /* `own` belongs to its callback now. */
    }

    /* The parent goes away: its children answer CLOSED, nothing crashes. */
    CHECK_STATUS(gazette_client_close(client, 2000, NULL), GAZETTE_STATUS_OK);
    CHECK_STATUS(gazette_reader_read(reader, buf, sizeof buf, 100, &n, NULL),
                 GAZETTE_STATUS_CLOSED);
    CHECK_STATUS(gazette_append(client, S("a/journal"), NULL, 0, NULL, 100, NULL, NULL, NULL),
                 GAZETTE_STATUS_CLOSED);
    CHECK_STATUS(gazette_append_service_start(svc, S("a/journal"), NULL, NULL, 100, &aa, NULL),
                 GAZETTE_STATUS_CLOSED);
    gazette_client_free(client);
    CHECK_STATUS(gazette_reader_read(reader, buf, sizeof buf, 100, &n, NULL),
                 GAZETTE_STATUS_CLOSED);
    gazette_append_service_free(svc);
    CHECK(gazette_append_future_status(fut) != GAZETTE_STATUS_WOULD_BLOCK);
    CHECK(callbacks == 1);
    CHECK(self_frees == 1);
    CHECK(seen != GAZETTE_STATUS_OK);
    gazette_append_future_free(fut);
    gazette_reader_free(reader);
}

int main(void) {
    /* The harness's broker helpers are not needed here. */
    (void)broker_start, (void)broker_stop, (void)silent_listener;
    test_nulls_and_bad_text();
    test_out_of_range();
    test_lengths();
    test_concurrent_use();
    test_log_levels();
    test_closed_and_freed_parents();
    printf("%d passed, %d failed, %d skipped\n", t_passed, t_failed, t_skipped);
    return t_failed ? 1 : 0;
}
