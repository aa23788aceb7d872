/* Appends to a journal twice: once in one call, once piece by piece.
 * Usage: append ENDPOINT JOURNAL TEXT */
#include "common.h"

int main(int argc, char **argv) {
    gazette_client *client;
    gazette_appender *app = NULL;
    gazette_error *err = NULL;
    gazette_status st;
    int64_t begin, end;
    int i;
    if (argc != 4) {
        fprintf(stderr, "usage: %s ENDPOINT JOURNAL TEXT\n", argv[0]);
        return 2;
    }
    client = connect_to(argv[1]);

    /* One call: the whole text commits atomically, retried while transient. */
    st = gazette_append(client, argv[2], strlen(argv[2]), (const uint8_t *)argv[3], strlen(argv[3]),NULL, 
                        10000 /* ms */, &begin, &end, &err);
    if (st != GAZETTE_STATUS_OK) die("append", st, err);
    printf("appended [%lld, %lld)\n", (long long)begin, (long long)end);

    /* An appender: write pieces, then commit them together with close. */
    st = gazette_appender_new(client, argv[2], strlen(argv[2]), NULL, &app, &err);
    if (st != GAZETTE_STATUS_OK) die("appender", st, err);
    for (i = 0; i < 3; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "line %d\n", i);
        st = gazette_appender_write(app, (const uint8_t *)line, (size_t)n, 10000, &err);
        if (st != GAZETTE_STATUS_OK) {
            gazette_appender_free(app); /* rolls back */
            die("write", st, err);
        }
    }
    st = gazette_appender_close(app, 10000, &begin, &end, &err);
    gazette_appender_free(app);
    if (st != GAZETTE_STATUS_OK) die("commit", st, err);
    printf("committed [%lld, %lld)\n", (long long)begin, (long long)end);

    gazette_client_free(client);
    return 0;
}
