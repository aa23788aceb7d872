/* The C side of scripts/bench: drives libgazette through gazette.h only, as
 * a C program would, against a broker given on the command line, and prints
 * one `BENCH <name> <value> <unit>` line per figure.
 *
 * Usage: bench ENDPOINT PREFIX PHASE [ARG]
 * Phases:
 *   service N        N records of 100 B, 1 thread into 1 journal
 *   service_small N  the same, named apart (peak RSS against volume)
 *   service8 N       N records of 100 B, 8 threads into 16 journals
 *   large MIB        MIB MiB in 1 MiB writes, 4 MiB transactions (appender)
 *   latency N        N blocking appends of one 100 B record (gazette_append)
 *   read             reads back what `large` wrote, three ways
 *   fragments CODEC  writes 32 MiB to a CODEC journal (then the script flushes)
 *   fragread CODEC   reads that journal's persisted fragments directly
 *   ffi              the cost of single calls on the hot paths
 * Names carry the phase, so one process per phase keeps peak RSS per phase. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "gazette.h"

#define RECORD 100

static const char *endpoint, *prefix;

static void die(const char *what, gazette_status st, gazette_error *err) {
    fprintf(stderr, "bench: %s: %s: %s\n", what, gazette_status_name(st),
            err ? gazette_error_message(err) : gazette_status_str(st));
    exit(1);
}
#define CHECK(what, call)                                   \
    do {                                                    \
        gazette_status st_ = (call);                        \
        if (st_ != GAZETTE_STATUS_OK) die(what, st_, err);  \
    } while (0)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static double thread_cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
/* User + system CPU of the whole process (all library threads). */
static double process_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}
static long peak_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}
static void bench(const char *name, double value, const char *unit) {
    printf("BENCH %s %.6g %s\n", name, value, unit);
    fflush(stdout);
}

static gazette_client *connect_client(int workers) {
    gazette_error *err = NULL;
    gazette_client *client = NULL;
    gazette_config *cfg = gazette_config_new();
    CHECK("endpoint", gazette_config_add_endpoint(cfg, endpoint, strlen(endpoint), &err));
    if (workers > 0) CHECK("workers", gazette_config_set_worker_threads(cfg, (size_t)workers, &err));
    CHECK("client", gazette_client_new(cfg, &client, &err));
    gazette_config_free(cfg);
    return client;
}

static uint64_t stat_of(gazette_client *client, const char *name) {
    gazette_error *err = NULL;
    uint64_t v = 0;
    CHECK("stat", gazette_client_stat(client, name, strlen(name), &v, &err));
    return v;
}

/* Creates (or updates) journal `name` with `codec`, persisted to file:///. */
static void create_journal(gazette_client *client, const char *name, int codec) {
    gazette_error *err = NULL;
    gazette_journal_spec *spec = NULL;
    gazette_apply_request *req = gazette_apply_request_new();
    int64_t rev = 0;
    CHECK("spec", gazette_journal_spec_new(name, strlen(name), &spec, &err));
    CHECK("store", gazette_journal_spec_add_store(spec, "file:///", 8, &err));
    CHECK("codec", gazette_journal_spec_set_compression_codec(spec, codec, &err));
    /* One fragment per flush: big enough that appends never roll it. */
    CHECK("length", gazette_journal_spec_set_fragment_length(spec, (int64_t)1 << 30, &err));
    CHECK("upsert", gazette_apply_request_upsert(req, spec, 0, &err));
    CHECK("apply", gazette_apply(client, req, 0, 10000, &rev, &err));
    gazette_apply_request_free(req);
    gazette_journal_spec_free(spec);
    /* Real brokers (and the dev broker by default) assign it a little later. */
    CHECK("assignment", gazette_client_await_assignment(client, name, strlen(name), 10000, &err));
}

static void journal_name(char *out, size_t cap, const char *what, int i) {
    snprintf(out, cap, "%s/%s-%02d", prefix, what, i);
}

/* ---- AppendService ---------------------------------------------------- */

struct producer {
    gazette_append_service *svc;
    char journals[16][128];
    int njournals;
    long records;
    int offset;
    double enqueue_cpu;
    uint64_t batches; /* distinct batch futures seen */
};

static void *produce(void *arg) {
    struct producer *p = arg;
    gazette_error *err = NULL;
    gazette_append_future *last[16] = {0};
    uint8_t record[RECORD];
    double cpu0;
    long i;
    memset(record, 'x', sizeof record);
    record[RECORD - 1] = '\n';
    cpu0 = thread_cpu_s();
    for (i = 0; i < p->records; i++) {
        int j = (int)((i + p->offset) % p->njournals);
        const char *journal = p->journals[j];
        gazette_async_append *aa = NULL;
        gazette_append_future *f = NULL;
        CHECK("start", gazette_append_service_start(p->svc, journal, strlen(journal), NULL, NULL,
                                                    -1, &aa, &err));
        CHECK("write", gazette_async_append_write(aa, record, sizeof record, &err));
        CHECK("release", gazette_async_append_release(aa, &f, &err));
        if (!last[j] || gazette_append_future_batch(last[j]) != gazette_append_future_batch(f))
            p->batches++;
        gazette_append_future_free(last[j]);
        last[j] = f;
    }
    p->enqueue_cpu = thread_cpu_s() - cpu0;
    for (i = 0; i < p->njournals; i++) {
        if (!last[i]) continue;
        CHECK("last batch", gazette_append_future_wait(last[i], -1, &err));
        gazette_append_future_free(last[i]);
    }
    return NULL;
}

static void phase_service(long records, int threads, int journals, const char *name) {
    gazette_error *err = NULL;
    gazette_client *client = connect_client(0);
    gazette_append_service *svc = NULL;
    struct producer ps[8];
    pthread_t tids[8];
    double t0, cpu0, wall, cpu, enqueue = 0;
    uint64_t rpcs0, batches = 0;
    char buf[200];
    int t, j;
    for (j = 0; j < journals; j++) {
        journal_name(ps[0].journals[j], sizeof ps[0].journals[j], name, j);
        create_journal(client, ps[0].journals[j], 1);
    }
    CHECK("service", gazette_append_service_new(client, NULL, &svc, &err));
    rpcs0 = stat_of(client, "append_rpcs");
    t0 = now_s();
    cpu0 = process_cpu_s();
    for (t = 0; t < threads; t++) {
        ps[t] = ps[0];
        ps[t].svc = svc;
        ps[t].njournals = journals;
        ps[t].records = records / threads;
        ps[t].offset = t * 3;
        ps[t].enqueue_cpu = 0;
        ps[t].batches = 0;
        pthread_create(&tids[t], NULL, produce, &ps[t]);
    }
    for (t = 0; t < threads; t++) {
        pthread_join(tids[t], NULL);
        enqueue += ps[t].enqueue_cpu;
        batches += ps[t].batches;
    }
    wall = now_s() - t0;
    cpu = process_cpu_s() - cpu0;
    records = records / threads * threads;
    snprintf(buf, sizeof buf, "c_%s_records_per_s", name);
    bench(buf, records / wall, "records/s");
    snprintf(buf, sizeof buf, "c_%s_enqueue_cpu", name);
    bench(buf, enqueue / records * 1e6, "us/record");
    snprintf(buf, sizeof buf, "c_%s_process_cpu", name);
    bench(buf, cpu / records * 1e6, "us/record");
    snprintf(buf, sizeof buf, "c_%s_rpcs_per_100k", name);
    bench(buf, (double)(stat_of(client, "append_rpcs") - rpcs0) * 100000.0 / records, "rpcs");
    snprintf(buf, sizeof buf, "c_%s_records_per_batch", name);
    bench(buf, batches ? (double)records / (double)batches : 0, "records");
    snprintf(buf, sizeof buf, "c_%s_peak_rss", name);
    bench(buf, peak_rss_kib() / 1024.0, "MiB");
    CHECK("close", gazette_append_service_close(svc, 30000, &err));
    gazette_append_service_free(svc);
    gazette_client_free(client);
}

/* ---- blocking appends ---------------------------------------------------- */

static void phase_large(long mib) {
    gazette_error *err = NULL;
    gazette_client *client = connect_client(0);
    char journal[128];
    const size_t chunk = 1 << 20, txn = 4 << 20;
    uint8_t *data = malloc(chunk);
    double t0, cpu0, wall, cpu;
    long written = 0;
    memset(data, 'y', chunk);
    journal_name(journal, sizeof journal, "large", 0);
    create_journal(client, journal, 1);
    t0 = now_s();
    cpu0 = process_cpu_s();
    while (written < mib << 20) {
        gazette_appender *ap = NULL;
        size_t in_txn;
        CHECK("appender", gazette_appender_new(client, journal, strlen(journal), NULL, &ap, &err));
        for (in_txn = 0; in_txn < txn; in_txn += chunk)
            CHECK("write", gazette_appender_write(ap, data, chunk, -1, &err));
        CHECK("commit", gazette_appender_close(ap, -1, NULL, NULL, &err));
        gazette_appender_free(ap);
        written += (long)txn;
    }
    wall = now_s() - t0;
    cpu = process_cpu_s() - cpu0;
    bench("c_large_append", written / wall / (1 << 20), "MiB/s");
    bench("c_large_append_cpu", cpu / ((double)written / (1 << 30)), "cpu-s/GiB");
    bench("c_large_peak_rss", peak_rss_kib() / 1024.0, "MiB");
    free(data);
    gazette_client_free(client);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void phase_latency(long n) {
    gazette_error *err = NULL;
    gazette_client *client = connect_client(0);
    char journal[128];
    uint8_t record[RECORD];
    double *lat = malloc(sizeof(double) * (size_t)n);
    long i;
    memset(record, 'z', sizeof record);
    journal_name(journal, sizeof journal, "latency", 0);
    create_journal(client, journal, 1);
    for (i = 0; i < n; i++) {
        double t0 = now_s();
        CHECK("append", gazette_append(client, journal, strlen(journal), record, sizeof record,
                                       NULL, 10000, NULL, NULL, &err));
        lat[i] = (now_s() - t0) * 1e6;
    }
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    bench("c_append_latency_p50", lat[n / 2], "us");
    bench("c_append_latency_p99", lat[n * 99 / 100], "us");
    bench("c_append_latency_p999", lat[n * 999 / 1000], "us");
    free(lat);
    gazette_client_free(client);
}

/* ---- reads ----------------------------------------------------------- */

static gazette_read_options *read_opts(int64_t end, int direct) {
    gazette_error *err = NULL;
    gazette_read_options *o = gazette_read_options_new();
    CHECK("end", gazette_read_options_set_end_offset(o, end, &err));
    if (direct) CHECK("do_not_proxy", gazette_read_options_set_do_not_proxy(o, true, &err));
    return o;
}

/* Write head of `journal`, from a metadata-only read. */
static int64_t write_head(gazette_client *client, const char *journal) {
    gazette_error *err = NULL;
    gazette_read_options *o = gazette_read_options_new();
    gazette_reader *r = NULL;
    size_t n;
    uint8_t b[1];
    int64_t head;
    CHECK("meta", gazette_read_options_set_metadata_only(o, true, &err));
    CHECK("reader", gazette_reader_new(client, journal, strlen(journal), o, &r, &err));
    (void)gazette_reader_read(r, b, 1, 10000, &n, NULL);
    head = gazette_reader_write_head(r);
    gazette_reader_free(r);
    gazette_read_options_free(o);
    return head;
}

/* Reads [0, end) of `journal`; 0 next (zero copy), 1 read (1 MiB buffer),
 * 2 retry reader next. Returns bytes read. */
static int64_t read_all(gazette_client *client, const char *journal, int64_t end, int how,
                        int direct, uint8_t *buf, size_t cap) {
    gazette_error *err = NULL;
    gazette_read_options *o = read_opts(end, direct);
    int64_t got = 0;
    gazette_status st;
    if (how == 2) {
        gazette_retry_reader *r = NULL;
        CHECK("retry reader", gazette_retry_reader_new(client, journal, strlen(journal), o, &r, &err));
        for (;;) {
            const uint8_t *d;
            size_t len;
            st = gazette_retry_reader_next(r, -1, &d, &len, &err);
            if (st == GAZETTE_STATUS_END_OF_STREAM) break;
            if (st != GAZETTE_STATUS_OK) die("retry next", st, err);
            got += (int64_t)len;
        }
        gazette_retry_reader_free(r);
    } else {
        gazette_reader *r = NULL;
        CHECK("reader", gazette_reader_new(client, journal, strlen(journal), o, &r, &err));
        for (;;) {
            const uint8_t *d;
            size_t len;
            if (how == 0)
                st = gazette_reader_next(r, -1, &d, &len, &err);
            else
                st = gazette_reader_read(r, buf, cap, -1, &len, &err);
            if (st == GAZETTE_STATUS_END_OF_STREAM) break;
            if (st != GAZETTE_STATUS_OK) die("read", st, err);
            got += (int64_t)len;
        }
        gazette_reader_free(r);
    }
    gazette_read_options_free(o);
    return got;
}

static void phase_read(void) {
    gazette_client *client = connect_client(0);
    static const char *names[] = {"c_read_next", "c_read_1mib_buffer", "c_read_retry_next"};
    char journal[128], buf[200];
    size_t cap = 1 << 20;
    uint8_t *data = malloc(cap);
    int64_t end;
    int how;
    journal_name(journal, sizeof journal, "large", 0);
    end = write_head(client, journal);
    for (how = 0; how < 3; how++) {
        double t0 = now_s(), cpu0 = process_cpu_s(), wall, cpu;
        int64_t got = read_all(client, journal, end, how, 0, data, cap);
        wall = now_s() - t0;
        cpu = process_cpu_s() - cpu0;
        if (got != end) {
            fprintf(stderr, "bench: read %lld of %lld bytes\n", (long long)got, (long long)end);
            exit(1);
        }
        bench(names[how], got / wall / (1 << 20), "MiB/s");
        snprintf(buf, sizeof buf, "%s_cpu", names[how]);
        bench(buf, cpu / ((double)got / (1 << 30)), "cpu-s/GiB");
    }
    bench("c_read_peak_rss", peak_rss_kib() / 1024.0, "MiB");
    free(data);
    gazette_client_free(client);
}

static int codec_of(const char *name) {
    if (!strcmp(name, "none")) return 1;
    if (!strcmp(name, "gzip")) return 2;
    if (!strcmp(name, "zstandard")) return 3;
    if (!strcmp(name, "snappy")) return 4;
    fprintf(stderr, "bench: unknown codec %s\n", name);
    exit(2);
}

/* 32 MiB of text-like, compressible content into a CODEC journal. */
static void phase_fragments(const char *codec) {
    gazette_error *err = NULL;
    gazette_client *client = connect_client(0);
    gazette_appender *ap = NULL;
    char journal[128];
    const size_t chunk = 1 << 20;
    uint8_t *data = malloc(chunk);
    size_t i;
    unsigned seed = 7;
    for (i = 0; i < chunk; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = (uint8_t)("abcdefghij klmnop\n"[(seed >> 16) % 18]);
    }
    journal_name(journal, sizeof journal, "frag", codec_of(codec));
    create_journal(client, journal, codec_of(codec));
    CHECK("appender", gazette_appender_new(client, journal, strlen(journal), NULL, &ap, &err));
    for (i = 0; i < 32; i++) CHECK("write", gazette_appender_write(ap, data, chunk, -1, &err));
    CHECK("commit", gazette_appender_close(ap, -1, NULL, NULL, &err));
    gazette_appender_free(ap);
    printf("JOURNAL %s\n", journal);
    free(data);
    gazette_client_free(client);
}

static void phase_fragread(const char *codec, const char *store) {
    gazette_error *err = NULL;
    gazette_client *client;
    gazette_config *cfg = gazette_config_new();
    char journal[128], name[200];
    double t0, cpu0, wall, cpu;
    int64_t end, got;
    uint64_t opens0;
    CHECK("endpoint", gazette_config_add_endpoint(cfg, endpoint, strlen(endpoint), &err));
    CHECK("file root", gazette_config_set_file_root(cfg, store, strlen(store), &err));
    CHECK("client", gazette_client_new(cfg, &client, &err));
    gazette_config_free(cfg);
    journal_name(journal, sizeof journal, "frag", codec_of(codec));
    end = write_head(client, journal);
    snprintf(name, sizeof name, "fragment_opens_%s", codec);
    opens0 = stat_of(client, name);
    t0 = now_s();
    cpu0 = process_cpu_s();
    got = read_all(client, journal, end, 0, 1, NULL, 0);
    wall = now_s() - t0;
    cpu = process_cpu_s() - cpu0;
    if (got != end || stat_of(client, name) == opens0) {
        fprintf(stderr, "bench: direct read of %s: %lld of %lld bytes, fragment opens %llu\n",
                journal, (long long)got, (long long)end,
                (unsigned long long)(stat_of(client, name) - opens0));
        exit(1);
    }
    snprintf(name, sizeof name, "c_fragment_%s", codec);
    bench(name, got / wall / (1 << 20), "MiB/s");
    snprintf(name, sizeof name, "c_fragment_%s_cpu", codec);
    bench(name, cpu / ((double)got / (1 << 30)), "cpu-s/GiB");
    gazette_client_free(client);
}

/* ---- single calls ------------------------------------------------------ */

static void phase_ffi(void) {
    gazette_error *err = NULL;
    gazette_client *client = connect_client(0);
    gazette_appender *ap = NULL;
    gazette_append_service *svc = NULL;
    gazette_async_append *aa = NULL;
    gazette_append_future *f = NULL;
    char journal[128];
    uint8_t record[RECORD];
    const long n = 2000000;
    double t0;
    long i;
    memset(record, 'w', sizeof record);
    journal_name(journal, sizeof journal, "ffi", 0);
    create_journal(client, journal, 1);

    /* A call that does nothing but cross the boundary and read a field. */
    CHECK("service", gazette_append_service_new(client, NULL, &svc, &err));
    CHECK("start", gazette_append_service_start(svc, journal, strlen(journal), NULL, NULL, -1, &aa, &err));
    CHECK("release", gazette_async_append_release(aa, &f, &err));
    t0 = thread_cpu_s();
    for (i = 0; i < n; i++) (void)gazette_append_future_status(f);
    bench("c_ffi_future_status", (thread_cpu_s() - t0) / n * 1e9, "ns/call");
    gazette_append_future_free(f);

    /* One appender write of 100 B (buffered, no round trip). */
    CHECK("appender", gazette_appender_new(client, journal, strlen(journal), NULL, &ap, &err));
    t0 = thread_cpu_s();
    for (i = 0; i < n / 4; i++) CHECK("write", gazette_appender_write(ap, record, sizeof record, -1, &err));
    bench("c_ffi_appender_write_100b", (thread_cpu_s() - t0) / (n / 4) * 1e9, "ns/call");
    CHECK("commit", gazette_appender_close(ap, -1, NULL, NULL, &err));
    gazette_appender_free(ap);

    /* One reader next, per chunk, of content already received. */
    {
        int64_t end = write_head(client, journal);
        gazette_read_options *o = read_opts(end, 0);
        gazette_reader *r = NULL;
        const uint8_t *d;
        size_t len;
        long calls = 0;
        double cpu = 0;
        gazette_status st;
        CHECK("reader", gazette_reader_new(client, journal, strlen(journal), o, &r, &err));
        for (;;) {
            double c0 = thread_cpu_s();
            st = gazette_reader_next(r, 0, &d, &len, &err);
            if (st == GAZETTE_STATUS_OK) {
                cpu += thread_cpu_s() - c0;
                calls++;
                continue;
            }
            gazette_error_free(err);
            err = NULL;
            if (st == GAZETTE_STATUS_END_OF_STREAM) break;
            if (st != GAZETTE_STATUS_WOULD_BLOCK) die("next", st, NULL);
            /* Nothing received yet: wait for it, outside the measurement. */
            st = gazette_reader_next(r, -1, &d, &len, NULL);
            if (st == GAZETTE_STATUS_END_OF_STREAM) break;
        }
        if (calls) bench("c_ffi_reader_next_ready", cpu / calls * 1e9, "ns/call");
        gazette_reader_free(r);
        gazette_read_options_free(o);
    }
    CHECK("close", gazette_append_service_close(svc, 10000, &err));
    gazette_append_service_free(svc);
    gazette_client_free(client);
}

int main(int argc, char **argv) {
    const char *phase, *arg;
    if (argc < 4) {
        fprintf(stderr, "usage: %s ENDPOINT PREFIX PHASE [ARG] [STORE]\n", argv[0]);
        return 2;
    }
    endpoint = argv[1];
    prefix = argv[2];
    phase = argv[3];
    arg = argc > 4 ? argv[4] : "";
    if (!strcmp(phase, "service")) phase_service(atol(arg), 1, 1, "svc_1x1");
    /* A smaller run named apart: peak RSS must not grow with volume. */
    else if (!strcmp(phase, "service_small")) phase_service(atol(arg), 1, 1, "svc_1x1_small");
    else if (!strcmp(phase, "service8")) phase_service(atol(arg), 8, 16, "svc_8x16");
    else if (!strcmp(phase, "large")) phase_large(atol(arg));
    else if (!strcmp(phase, "latency")) phase_latency(atol(arg));
    else if (!strcmp(phase, "read")) phase_read();
    else if (!strcmp(phase, "fragments")) phase_fragments(arg);
    else if (!strcmp(phase, "fragread") && argc > 5) phase_fragread(arg, argv[5]);
    else if (!strcmp(phase, "ffi")) phase_ffi();
    else {
        fprintf(stderr, "bench: unknown phase %s\n", phase);
        return 2;
    }
    return 0;
}
