/* Helpers shared by the examples: connect to a broker, report failures. */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette.h"

/* Prints a failed call's status and message, frees the error, and exits. */
static void die(const char *what, gazette_status st, gazette_error *err) {
    fprintf(stderr, "%s: %s: %s\n", what, gazette_status_name(st),
            err ? gazette_error_message(err) : gazette_status_str(st));
    gazette_error_free(err);
    exit(1);
}

/* A client of the broker at `endpoint` (e.g. "http://127.0.0.1:8080"). */
static gazette_client *connect_to(const char *endpoint) {
    gazette_error *err = NULL;
    gazette_client *client = NULL;
    gazette_config *cfg = gazette_config_new();
    gazette_status st = gazette_config_add_endpoint(cfg, endpoint, strlen(endpoint), &err);
    if (st != GAZETTE_STATUS_OK) die("endpoint", st, err);
    /* The configuration is copied: free it whatever happens. */
    st = gazette_client_new(cfg, &client, &err);
    gazette_config_free(cfg);
    if (st != GAZETTE_STATUS_OK) die("client", st, err);
    return client;
}

#endif
