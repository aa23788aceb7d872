/* C tests of TLS, mutual TLS and keyed authorization: a dev broker serving
 * TLS with client certificates and --auth-keys, certificates made at run
 * time by `gazette-devbroker --tls-generate`. Included by test_gazette.c. */
#ifndef GAZETTE_TEST_SECURITY_H
#define GAZETTE_TEST_SECURITY_H

#include "harness.h"

#define SEC_KEY "c2VjcmV0LWtleS1vbmU="

/* The whole file at `path` (malloc'd, NUL-terminated) or NULL. */
static char *sec_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            buf[n] = 0;
            *len = (size_t)n;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/* A config of `endpoint` trusting `dir`/`ca`, with `dir`/client.pem (`cert`
 * 1), `dir`/rogue-client.pem (2, issued by a CA the broker doesn't trust) or
 * no client certificate (0), and auth keys `keys` (NULL: none). */
static gazette_config *sec_config(const char *endpoint, const char *dir, const char *ca, int cert,
                                  const char *keys) {
    char path[512];
    gazette_config *cfg = gazette_config_new();
    CHECK_STATUS(gazette_config_add_endpoint(cfg, S(endpoint), NULL), GAZETTE_STATUS_OK);
    snprintf(path, sizeof path, "%s/%s", dir, ca);
    CHECK_STATUS(gazette_config_set_tls_ca_file(cfg, S(path), NULL), GAZETTE_STATUS_OK);
    if (cert) {
        size_t cert_len = 0, key_len = 0;
        char *cert_pem, *key_pem;
        const char *who = cert == 2 ? "rogue-client" : "client";
        snprintf(path, sizeof path, "%s/%s.pem", dir, who);
        cert_pem = sec_read(path, &cert_len);
        snprintf(path, sizeof path, "%s/%s-key.pem", dir, who);
        key_pem = sec_read(path, &key_len);
        CHECK(cert_pem && key_pem);
        if (cert_pem && key_pem) {
            CHECK_STATUS(gazette_config_set_tls_client_cert(cfg, cert_pem, cert_len, key_pem,
                                                            key_len, NULL),
                         GAZETTE_STATUS_OK);
        }
        free(cert_pem);
        free(key_pem);
    }
    if (keys) CHECK_STATUS(gazette_config_set_auth_keys(cfg, S(keys), NULL), GAZETTE_STATUS_OK);
    return cfg;
}

/* Lists through a client of `cfg` (freed); returns the status. The error's
 * message must not contain the key. */
static gazette_status sec_list(gazette_config *cfg) {
    gazette_client *client = NULL;
    gazette_journal_list *list = NULL;
    gazette_error *err = NULL;
    gazette_status st = gazette_client_new(cfg, &client, &err);
    gazette_config_free(cfg);
    CHECK_STATUS(st, GAZETTE_STATUS_OK);
    if (st != GAZETTE_STATUS_OK) {
        gazette_error_free(err);
        return st;
    }
    st = gazette_list_journals(client, S(""), 10000, &list, &err);
    if (st == GAZETTE_STATUS_OK) gazette_journal_list_free(list);
    if (err) {
        CHECK(strstr(gazette_error_message(err), SEC_KEY) == NULL);
        CHECK(strlen(gazette_error_message(err)) > 20); /* says what to fix */
    }
    gazette_error_free(err);
    gazette_client_free(client);
    return st;
}

static int sec_provider_calls;

/* A provider handing a token the broker can't verify. */
static int32_t sec_bad_provider(void *userdata, uint32_t capability, const char *selector,
                                size_t selector_len, int64_t lifetime_ms, gazette_token *out) {
    (void)userdata, (void)selector, (void)selector_len;
    sec_provider_calls++;
    CHECK(capability == (1u << 1)); /* a List asks for LIST */
    CHECK(lifetime_ms > 0);
    return (int32_t)gazette_token_set(out, S("not.a.jwt"), 0, NULL);
}

/* A provider that fails. */
static int32_t sec_failing_provider(void *userdata, uint32_t capability, const char *selector,
                                    size_t selector_len, int64_t lifetime_ms,
                                    gazette_token *out) {
    (void)userdata, (void)capability, (void)selector, (void)selector_len, (void)lifetime_ms,
        (void)out;
    return 1;
}

static void test_security(const char *bin) {
    char dir[] = "/tmp/gazette-ctls-XXXXXX", cert[600], key[600], ca[600];
    struct broker b;
    gazette_config *cfg;
    pid_t pid;
    int status = -1;
    gazette_error *err = NULL;
    memset(&b, 0, sizeof b);
    /* No signal(SIGPIPE, SIG_IGN) here on purpose: a TLS connection the
     * broker closes (a refused client certificate) must not kill a host
     * that leaves SIGPIPE at its default (the library blocks it on its own
     * threads). */
    if (!mkdtemp(dir)) {
        CHECK(0);
        return;
    }
    pid = fork();
    if (pid == 0) {
        execl(bin, bin, "--tls-generate", dir, (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &status, 0);
    CHECK(status == 0);
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server-key.pem", dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    {
        const char *extra[] = {"--tls-cert", cert, "--tls-key", key, "--tls-client-ca", ca,
                               "--auth-keys", SEC_KEY, NULL};
        if (broker_start_with(&b, bin, extra) != 0) {
            CHECK(0);
            return;
        }
    }
    CHECK(strncmp(b.endpoint, "https://", 8) == 0);

    /* TLS + client certificate + keyed auth: every RPC kind works. */
    cfg = sec_config(b.endpoint, dir, "ca.pem", 1, SEC_KEY);
    CHECK_STATUS(sec_list(cfg), GAZETTE_STATUS_OK);

    /* Each misconfiguration has its own status. */
    CHECK_STATUS(sec_list(sec_config(b.endpoint, dir, "ca.pem", 1, NULL)),
                 GAZETTE_STATUS_AUTH_TOKEN_MISSING);
    CHECK_STATUS(sec_list(sec_config(b.endpoint, dir, "ca.pem", 1, "d3Jvbmcta2V5")),
                 GAZETTE_STATUS_AUTH_TOKEN_INVALID);
    CHECK_STATUS(sec_list(sec_config(b.endpoint, dir, "ca.pem", 0, SEC_KEY)),
                 GAZETTE_STATUS_TLS_CLIENT_CERTIFICATE_REQUIRED);
    CHECK_STATUS(sec_list(sec_config(b.endpoint, dir, "other-ca.pem", 1, SEC_KEY)),
                 GAZETTE_STATUS_TLS_UNTRUSTED_CERTIFICATE);
    /* Under TLS 1.3 the broker refuses a client certificate after the
     * client's side of the handshake, racing the first request on the
     * library's threads: each fresh client must still get this status. */
    for (int i = 0; i < 20; i++) {
        CHECK_STATUS(sec_list(sec_config(b.endpoint, dir, "ca.pem", 2, SEC_KEY)),
                     GAZETTE_STATUS_TLS_CLIENT_CERTIFICATE_REJECTED);
    }

    /* Token provider callbacks: their tokens are sent, their failures surface. */
    cfg = sec_config(b.endpoint, dir, "ca.pem", 1, NULL);
    CHECK_STATUS(gazette_config_set_token_provider(cfg, sec_bad_provider, NULL, NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(sec_list(cfg), GAZETTE_STATUS_AUTH_TOKEN_INVALID);
    CHECK(sec_provider_calls >= 1);
    cfg = sec_config(b.endpoint, dir, "ca.pem", 1, NULL);
    CHECK_STATUS(gazette_config_set_token_provider(cfg, sec_failing_provider, NULL, NULL),
                 GAZETTE_STATUS_OK);
    CHECK_STATUS(sec_list(cfg), GAZETTE_STATUS_AUTH_TOKEN_PROVIDER);

    /* Bad options are refused when set. */
    cfg = gazette_config_new();
    CHECK_STATUS(gazette_config_set_auth_keys(cfg, S("not base64!"), &err),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    gazette_error_free(err);
    err = NULL;
    CHECK_STATUS(gazette_config_set_tls_ca_file(cfg, S("/nonexistent/ca.pem"), &err),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    gazette_error_free(err);
    CHECK_STATUS(gazette_config_set_tls_ca_pem(cfg, S("not pem"), NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_config_set_tls_server_name(cfg, S("not a name!"), NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_config_set_auth_token_lifetime_ms(cfg, -1, NULL),
                 GAZETTE_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(gazette_config_set_token_provider(NULL, NULL, NULL, NULL),
                 GAZETTE_STATUS_NULL_POINTER);
    CHECK_STATUS(gazette_token_set(NULL, S("x"), 0, NULL), GAZETTE_STATUS_NULL_POINTER);
    gazette_config_free(cfg);
    CHECK(strcmp(gazette_status_name(GAZETTE_STATUS_AUTH_TOKEN_EXPIRED),
                 "GAZETTE_STATUS_AUTH_TOKEN_EXPIRED") == 0);
    CHECK(gazette_status_is_retryable(GAZETTE_STATUS_AUTH_TOKEN_EXPIRED));
    CHECK(!gazette_status_is_retryable(GAZETTE_STATUS_TLS_UNTRUSTED_CERTIFICATE));

    broker_stop(&b);
    {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
    }
}

#endif
