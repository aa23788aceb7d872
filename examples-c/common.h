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

/* The whole file at `path`, NUL-terminated (exits on failure; never freed:
 * the examples are short-lived). */
static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* TLS and authorization from the environment, for secure clusters:
 * GAZETTE_TLS_CA_FILE (PEM CA bundle; default: the system store),
 * GAZETTE_TLS_CLIENT_CERT and GAZETTE_TLS_CLIENT_KEY (PEM files, mutual TLS),
 * GAZETTE_AUTH_KEYS (the cluster's --auth-keys). */
static void secure_from_env(gazette_config *cfg) {
    gazette_error *err = NULL;
    gazette_status st;
    const char *ca = getenv("GAZETTE_TLS_CA_FILE");
    const char *cert = getenv("GAZETTE_TLS_CLIENT_CERT");
    const char *key = getenv("GAZETTE_TLS_CLIENT_KEY");
    const char *keys = getenv("GAZETTE_AUTH_KEYS");
    if (ca && *ca) {
        st = gazette_config_set_tls_ca_file(cfg, ca, strlen(ca), &err);
        if (st != GAZETTE_STATUS_OK) die("TLS CA", st, err);
    }
    if (cert && *cert && key && *key) {
        size_t cert_len, key_len;
        char *cert_pem = read_file(cert, &cert_len), *key_pem = read_file(key, &key_len);
        st = gazette_config_set_tls_client_cert(cfg, cert_pem, cert_len, key_pem, key_len, &err);
        if (st != GAZETTE_STATUS_OK) die("TLS client certificate", st, err);
    }
    if (keys && *keys) {
        st = gazette_config_set_auth_keys(cfg, keys, strlen(keys), &err);
        if (st != GAZETTE_STATUS_OK) die("auth keys", st, err);
    }
}

/* A client of the broker at `endpoint` (e.g. "http://127.0.0.1:8080", or
 * "https://..." with the TLS variables above). */
static gazette_client *connect_to(const char *endpoint) {
    gazette_error *err = NULL;
    gazette_client *client = NULL;
    gazette_config *cfg = gazette_config_new();
    gazette_status st = gazette_config_add_endpoint(cfg, endpoint, strlen(endpoint), &err);
    if (st != GAZETTE_STATUS_OK) die("endpoint", st, err);
    secure_from_env(cfg);
    /* The configuration is copied: free it whatever happens. */
    st = gazette_client_new(cfg, &client, &err);
    gazette_config_free(cfg);
    if (st != GAZETTE_STATUS_OK) die("client", st, err);
    return client;
}

#endif
