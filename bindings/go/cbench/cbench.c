/* The C counterparts of bench_test.go, for the cgo cost per call: the same
 * operations against the same broker, timed with CLOCK_MONOTONIC.
 * Usage: cbench ENDPOINT (the journal cbench/<pid> is created). */
#include <gazette.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S(s) (s), strlen(s)
#define OK(call) do { gazette_status st_ = (call); if (st_ != GAZETTE_STATUS_OK) { \
    fprintf(stderr, "%s: %s\n", #call, gazette_status_name(st_)); exit(1); } } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    static uint8_t rec[4096], big[8 << 20];
    char j[64];
    gazette_config *cfg = gazette_config_new();
    gazette_client *cl = NULL;
    gazette_journal_spec *spec = NULL;
    gazette_apply_request *req = gazette_apply_request_new();
    if (argc != 2) { fprintf(stderr, "usage: cbench ENDPOINT\n"); return 2; }
    OK(gazette_config_add_endpoint(cfg, S(argv[1]), NULL));
    OK(gazette_client_new(cfg, &cl, NULL));
    snprintf(j, sizeof j, "cbench/%d", (int)getpid());
    OK(gazette_journal_spec_new(S(j), &spec, NULL));
    OK(gazette_journal_spec_set_replication(spec, 1, NULL));
    OK(gazette_journal_spec_set_fragment_length(spec, 1 << 20, NULL));
    OK(gazette_journal_spec_add_store(spec, S("file:///"), NULL));
    OK(gazette_apply_request_upsert(req, spec, 0, NULL));
    OK(gazette_apply(cl, req, 0, 10000, NULL, NULL));
    memset(rec, 'x', sizeof rec);
    memset(big, 'z', sizeof big);

    int n = 2000; /* one 100 B record per Append */
    double t = now();
    for (int i = 0; i < n; i++) OK(gazette_append(cl, S(j), rec, 100, NULL, 30000, NULL, NULL, NULL));
    t = now() - t;
    printf("C Append100B          %8.1f us/op\n", t / n * 1e6);

    n = 8192; /* 4 KiB appender writes, 4 MiB transactions */
    gazette_appender *a = NULL;
    t = now();
    for (int i = 0; i < n; i++) {
        if (!a) OK(gazette_appender_new(cl, S(j), NULL, &a, NULL));
        OK(gazette_appender_write(a, rec, sizeof rec, 30000, NULL));
        if (i % 1024 == 1023) { OK(gazette_appender_close(a, 30000, NULL, NULL, NULL)); gazette_appender_free(a); a = NULL; }
    }
    t = now() - t;
    printf("C Appender4KiBWrites  %8.1f MB/s\n", n * 4096.0 / t / 1e6);

    int64_t begin = 0, end = 0;
    OK(gazette_append(cl, S(j), big, sizeof big, NULL, 30000, &begin, &end, NULL));
    t = now();
    for (int k = 0; k < 4; k++) {
        gazette_read_options *o = gazette_read_options_new();
        gazette_reader *r = NULL;
        const uint8_t *data; size_t len, total = 0;
        OK(gazette_read_options_set_offset(o, begin, NULL));
        OK(gazette_read_options_set_end_offset(o, end, NULL));
        OK(gazette_reader_new(cl, S(j), o, &r, NULL));
        while (gazette_reader_next(r, 30000, &data, &len, NULL) == GAZETTE_STATUS_OK) total += len;
        if (total != sizeof big) { fprintf(stderr, "read %zu\n", total); return 1; }
        gazette_reader_free(r);
        gazette_read_options_free(o);
    }
    t = now() - t;
    printf("C ReadNext8MiB        %8.1f MB/s\n", 4.0 * sizeof big / t / 1e6);
    gazette_journal_spec_free(spec);
    gazette_apply_request_free(req);
    gazette_config_free(cfg);
    gazette_client_free(cl);
    return 0;
}
