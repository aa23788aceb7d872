/* Lists the journals matching a label selector, with their labels and
 * fragments. Usage: list ENDPOINT [SELECTOR]   e.g. list http://127.0.0.1:8080 "prefix=logs/" */
#include "common.h"

int main(int argc, char **argv) {
    const char *selector = argc > 2 ? argv[2] : "";
    gazette_client *client;
    gazette_journal_list *list = NULL;
    gazette_error *err = NULL;
    gazette_status st;
    size_t i, k;
    if (argc < 2) {
        fprintf(stderr, "usage: %s ENDPOINT [SELECTOR]\n", argv[0]);
        return 2;
    }
    client = connect_to(argv[1]);
    st = gazette_list_journals(client, selector, strlen(selector), 10000, &list, &err);
    if (st != GAZETTE_STATUS_OK) die("list", st, err);

    for (i = 0; i < gazette_journal_list_len(list); i++) {
        /* Borrowed from the list: valid until gazette_journal_list_free. */
        const gazette_journal *j = gazette_journal_list_get(list, i);
        const char *name = gazette_journal_name(j);
        gazette_fragment_list *frags = NULL;
        printf("%s (mod revision %lld)\n", name, (long long)gazette_journal_mod_revision(j));
        for (k = 0; k < gazette_journal_label_count(j); k++) {
            printf("  label %s=%s\n", gazette_journal_label_name(j, k), gazette_journal_label_value(j, k));
        }
        st = gazette_list_fragments(client, name, strlen(name), 0, 0, 10000, &frags, &err);
        if (st != GAZETTE_STATUS_OK) die("fragments", st, err);
        for (k = 0; k < gazette_fragment_list_len(frags); k++) {
            const gazette_fragment *f = gazette_fragment_list_get(frags, k);
            printf("  fragment [%lld, %lld) %s\n", (long long)gazette_fragment_begin(f),
                   (long long)gazette_fragment_end(f), gazette_fragment_backing_store(f));
        }
        gazette_fragment_list_free(frags);
    }
    gazette_journal_list_free(list);
    gazette_client_free(client);
    return 0;
}
