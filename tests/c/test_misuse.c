/* Misuse of the C API that must not crash (run plain, under ASan+UBSan and
 * under valgrind by tests/c/run): NULL everywhere, invalid UTF-8, enum
 * values out of range passed as integers, indexes past the end, calls on
 * closed clients and on children whose parent was freed, and a callback
 * that calls back into the library. Each call must return its documented
 * status. Needs no broker: the endpoint is a closed port. */
#include "harness.h"

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
    CHECK(seen != GAZETTE_STATUS_OK);
    gazette_append_future_free(fut);
    gazette_reader_free(reader);
}

int main(void) {
    /* The harness's broker helpers are not needed here. */
    (void)broker_start, (void)broker_stop, (void)silent_listener;
    test_nulls_and_bad_text();
    test_out_of_range();
    test_log_levels();
    test_closed_and_freed_parents();
    printf("%d passed, %d failed, %d skipped\n", t_passed, t_failed, t_skipped);
    return t_failed ? 1 : 0;
}
