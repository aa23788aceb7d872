/* Appends many records to a journal through an AppendService, without
 * waiting for each one: the service batches them into few RPCs, keeps them
 * in order, and retries while brokers are away. A completion queue tells us
 * when the last batch committed.
 * Usage: async_append ENDPOINT JOURNAL [COUNT]   (COUNT records, default 1000) */
#include "common.h"

int main(int argc, char **argv) {
    gazette_client *client;
    gazette_append_service *svc = NULL;
    gazette_append_future *last = NULL;
    gazette_cq *cq;
    gazette_event event;
    gazette_error *err = NULL;
    gazette_status st;
    long count = argc > 3 ? atol(argv[3]) : 1000;
    const char *journal;
    long i;
    if (argc < 3 || count <= 0) {
        fprintf(stderr, "usage: %s ENDPOINT JOURNAL [COUNT]\n", argv[0]);
        return 2;
    }
    journal = argv[2];
    client = connect_to(argv[1]);

    /* One service per client is typical; NULL options take the defaults. */
    st = gazette_append_service_new(client, NULL, &svc, &err);
    if (st != GAZETTE_STATUS_OK) die("append service", st, err);

    for (i = 0; i < count; i++) {
        gazette_async_append *aa = NULL;
        gazette_append_future *f = NULL;
        char record[64];
        int n = snprintf(record, sizeof record, "{\"seq\": %ld}\n", i);

        /* 1. Start: exclusive write access to the journal's newest batch.
         *    Waits (here up to 10 s) only while another thread is writing. */
        st = gazette_append_service_start(svc, journal, strlen(journal), NULL /* options */,
                                          NULL /* no dependencies */, 10000, &aa, &err);
        if (st != GAZETTE_STATUS_OK) die("start", st, err);

        /* 2. Write: the bytes are copied into the batch right away. Had we
         *    failed to produce the record, gazette_async_append_require()
         *    would roll back just our bytes. */
        st = gazette_async_append_write(aa, (const uint8_t *)record, (size_t)n, &err);
        if (st != GAZETTE_STATUS_OK) {
            gazette_async_append_free(aa); /* rolls our bytes back */
            die("write", st, err);
        }

        /* 3. Release: hands the bytes to the batch (and frees `aa`). The
         *    future completes when the batch commits, or fails. */
        st = gazette_async_append_release(aa, &f, &err);
        if (st != GAZETTE_STATUS_OK) die("release", st, err);

        /* Appends to one journal commit in order, so the last future
         * completing means every earlier record committed too. We keep only
         * that one; freeing a future does not cancel its append. */
        gazette_append_future_free(last);
        last = f;
    }

    /* Learn of the completion through a queue, as an event loop would (it
     * could also get a wakeup on its own fd with gazette_cq_set_notify_fd,
     * or use gazette_append_future_wait / _set_callback instead). */
    cq = gazette_cq_new();
    st = gazette_append_future_set_queue(last, cq, 1 /* our tag */, &err);
    if (st != GAZETTE_STATUS_OK) die("set queue", st, err);
    st = gazette_cq_next(cq, 30000, &event, &err);
    if (st != GAZETTE_STATUS_OK) die("waiting for the last batch", st, err);
    if (event.status != GAZETTE_STATUS_OK) {
        /* The event carries the status; the future has the details. */
        fprintf(stderr, "append failed: %s: %s\n", gazette_status_name(event.status),
                gazette_error_message(gazette_append_future_error(last)));
        return 1;
    }
    printf("appended %ld records; the journal now ends at offset %lld\n", count,
           (long long)gazette_append_future_commit_end(last));

    /* Close drains anything still pending (nothing here), then free all. */
    st = gazette_append_service_close(svc, 10000, &err);
    if (st != GAZETTE_STATUS_OK) die("close", st, err);
    gazette_append_future_free(last);
    gazette_cq_free(cq);
    gazette_append_service_free(svc);
    gazette_client_free(client);
    return 0;
}
