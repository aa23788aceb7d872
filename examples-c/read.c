/* Reads a journal from an offset and copies it to stdout, following new
 * content until interrupted (or, with an end offset, up to it).
 * Usage: read ENDPOINT JOURNAL [OFFSET [END_OFFSET]]   (OFFSET -1: only new content) */
#include "common.h"

int main(int argc, char **argv) {
    gazette_client *client;
    gazette_reader *reader = NULL;
    gazette_read_options *opts;
    gazette_error *err = NULL;
    gazette_status st;
    int64_t offset = argc > 3 ? atoll(argv[3]) : 0;
    int64_t end = argc > 4 ? atoll(argv[4]) : 0;
    if (argc < 3) {
        fprintf(stderr, "usage: %s ENDPOINT JOURNAL [OFFSET [END_OFFSET]]\n", argv[0]);
        return 2;
    }
    client = connect_to(argv[1]);
    /* Blocking: at the write head, wait for new content (like tail -f). */
    opts = gazette_read_options_new();
    st = gazette_read_options_set_offset(opts, offset, &err);
    if (st == GAZETTE_STATUS_OK) st = gazette_read_options_set_end_offset(opts, end, &err);
    if (st == GAZETTE_STATUS_OK) st = gazette_read_options_set_block(opts, true, &err);
    if (st == GAZETTE_STATUS_OK) st = gazette_reader_new(client, argv[2], strlen(argv[2]), opts, &reader, &err);
    gazette_read_options_free(opts); /* the reader keeps a copy */
    if (st != GAZETTE_STATUS_OK) die("reader", st, err);
    for (;;) {
        const uint8_t *data;
        size_t len;
        /* Wait at most a second per call; a timed-out read stays in flight. */
        st = gazette_reader_next(reader, 1000, &data, &len, &err);
        if (st == GAZETTE_STATUS_OK) {
            fwrite(data, 1, len, stdout); /* lent until the next call */
        } else if (st == GAZETTE_STATUS_TIMED_OUT) {
            fflush(stdout);
        } else if (st == GAZETTE_STATUS_OFFSET_JUMP) {
            fprintf(stderr, "[skipped to offset %lld]\n", (long long)gazette_reader_offset(reader));
        } else if (st == GAZETTE_STATUS_END_OF_STREAM) {
            break;
        } else {
            gazette_reader_free(reader);
            die("read", st, err);
        }
    }
    fprintf(stderr, "read through offset %lld\n", (long long)gazette_reader_offset(reader));
    gazette_reader_free(reader);
    gazette_client_free(client);
    return 0;
}
