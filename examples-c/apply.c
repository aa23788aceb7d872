/* Creates a journal (or updates it if it exists), then shows it.
 * Usage: apply ENDPOINT JOURNAL [STORE]   e.g. apply http://127.0.0.1:8080 logs/app file:/// */
#include "common.h"

int main(int argc, char **argv) {
    gazette_client *client;
    gazette_journal *existing = NULL;
    gazette_journal_spec *spec = NULL;
    gazette_apply_request *req;
    gazette_error *err = NULL;
    gazette_status st;
    int64_t expect = 0, revision = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: %s ENDPOINT JOURNAL [STORE]\n", argv[0]);
        return 2;
    }
    client = connect_to(argv[1]);

    /* Update an existing journal from its current spec and mod revision, so
     * a concurrent change makes this apply fail instead of being lost. */
    st = gazette_get_journal(client, argv[2], strlen(argv[2]), 10000, &existing, &err);
    if (st == GAZETTE_STATUS_OK) {
        spec = gazette_journal_spec_from_journal(existing);
        expect = gazette_journal_mod_revision(existing);
        gazette_journal_free(existing);
    } else if (st == GAZETTE_STATUS_JOURNAL_DOES_NOT_EXIST) {
        gazette_error_free(err);
        st = gazette_journal_spec_new(argv[2], strlen(argv[2]), &spec, &err);
        if (st != GAZETTE_STATUS_OK) die("spec", st, err);
    } else {
        die("get journal", st, err);
    }
    if ((st = gazette_journal_spec_add_label(spec, "owner", 5, "examples", 8, &err)) != GAZETTE_STATUS_OK)
        die("label", st, err);
    if (argc > 3 && (st = gazette_journal_spec_add_store(spec, argv[3], strlen(argv[3]), &err)) != GAZETTE_STATUS_OK)
        die("store", st, err);

    req = gazette_apply_request_new();
    st = gazette_apply_request_upsert(req, spec, expect, &err); /* copies the spec */
    gazette_journal_spec_free(spec);
    if (st != GAZETTE_STATUS_OK) die("upsert", st, err);
    st = gazette_apply(client, req, 0, 10000, &revision, &err);
    gazette_apply_request_free(req);
    if (st == GAZETTE_STATUS_ETCD_TRANSACTION_FAILED) {
        fprintf(stderr, "the journal changed meanwhile; run again\n");
    }
    if (st != GAZETTE_STATUS_OK) die("apply", st, err);
    printf("applied %s at revision %lld\n", argv[2], (long long)revision);
    /* Brokers assign a new journal a moment after Apply; wait, so an appender
     * or reader opened next finds its primary. */
    st = gazette_client_await_assignment(client, argv[2], strlen(argv[2]), 10000, &err);
    if (st != GAZETTE_STATUS_OK) die("await assignment", st, err);
    gazette_client_free(client);
    return 0;
}
