/*
 * A small driver around libsrtp (Debian libsrtp2-dev) so Palisade's SRTP can
 * be checked against the reference byte for byte, and timed against it.
 *
 *   libsrtp-helper protect     < lines
 *   libsrtp-helper unprotect   < lines
 *     first line: "<SUITE> <master key||salt in hex>"
 *     then one packet per line: "rtp <hex>" or "rtcp <hex>"
 *     prints one line per packet: the resulting packet in hex, or "ERR <status>"
 *   libsrtp-helper bench <SUITE> <key hex> <count>
 *     protects then unprotects <count> 172-byte RTP packets (12-byte header,
 *     160-byte G.711 payload) and prints "protect_ns <n>" and "unprotect_ns <n>"
 *     per packet.
 * Exit status 3 when the suite cannot be set up (e.g. no GCM in this build).
 */
#include <srtp2/srtp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PACKET 4096

static int unhex(const char *s, uint8_t *out, int max) {
    int n = 0;
    while (s[0] && s[1] && s[0] != '\n' && s[0] != '\r') {
        unsigned v;
        if (n >= max || sscanf(s, "%2x", &v) != 1) return -1;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static void puthex(const uint8_t *p, int n) {
    for (int i = 0; i < n; i++) printf("%02x", p[i]);
    putchar('\n');
}

static int set_suite(const char *name, srtp_policy_t *policy) {
    if (strcmp(name, "AES_CM_128_HMAC_SHA1_80") == 0) {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
    } else if (strcmp(name, "AES_CM_128_HMAC_SHA1_32") == 0) {
        /* RFC 4568 §6.2.2: SRTCP keeps the 80-bit tag */
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
    } else if (strcmp(name, "AEAD_AES_128_GCM") == 0) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
    } else if (strcmp(name, "AEAD_AES_256_GCM") == 0) {
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtp);
        srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtcp);
    } else {
        return -1;
    }
    return 0;
}

static srtp_t make_session(const char *suite, uint8_t *key, int inbound) {
    srtp_policy_t policy;
    srtp_t session = NULL;
    memset(&policy, 0, sizeof policy);
    if (set_suite(suite, &policy) != 0) {
        printf("ERR suite %s\n", suite);
        exit(3);
    }
    policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    policy.key = key;
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    policy.next = NULL;
    srtp_err_status_t st = srtp_create(&session, &policy);
    if (st != srtp_err_status_ok) {
        printf("ERR create %d\n", (int)st);
        exit(3);
    }
    return session;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int bench(const char *suite, const char *keyhex, long count) {
    uint8_t key[64];
    if (unhex(keyhex, key, sizeof key) < 0) return 2;
    srtp_t tx = make_session(suite, key, 0);
    srtp_t rx = make_session(suite, key, 1);
    uint8_t *wire = malloc((size_t)count * (172 + SRTP_MAX_TRAILER_LEN));
    int *lens = malloc((size_t)count * sizeof(int));
    if (!wire || !lens) return 2;
    uint8_t pkt[172 + SRTP_MAX_TRAILER_LEN];
    double t0 = now_ns();
    for (long i = 0; i < count; i++) {
        memset(pkt, 0xd5, sizeof pkt);
        pkt[0] = 0x80; pkt[1] = 0x00;
        pkt[2] = (uint8_t)(i >> 8); pkt[3] = (uint8_t)i;
        pkt[4] = 0; pkt[5] = 0; pkt[6] = 0; pkt[7] = 160;
        pkt[8] = 0xca; pkt[9] = 0xfe; pkt[10] = 0xba; pkt[11] = 0xbe;
        int len = 172;
        if (srtp_protect(tx, pkt, &len) != srtp_err_status_ok) return 4;
        memcpy(wire + i * (172 + SRTP_MAX_TRAILER_LEN), pkt, (size_t)len);
        lens[i] = len;
    }
    double t1 = now_ns();
    for (long i = 0; i < count; i++) {
        int len = lens[i];
        if (srtp_unprotect(rx, wire + i * (172 + SRTP_MAX_TRAILER_LEN), &len) != srtp_err_status_ok) return 5;
    }
    double t2 = now_ns();
    /* the protect loop also builds and copies each packet, as the JS side does */
    printf("protect_ns %.1f\nunprotect_ns %.1f\n", (t1 - t0) / count, (t2 - t1) / count);
    return 0;
}

int main(int argc, char **argv) {
    if (srtp_init() != srtp_err_status_ok) return 2;
    if (argc == 5 && strcmp(argv[1], "bench") == 0) return bench(argv[2], argv[3], atol(argv[4]));
    if (argc != 2) {
        fprintf(stderr, "usage: %s protect|unprotect < lines | bench SUITE KEY COUNT\n", argv[0]);
        return 2;
    }
    int protect = strcmp(argv[1], "protect") == 0;
    static char line[2 * MAX_PACKET + 64];
    char suite[64];
    static uint8_t key[64];
    if (!fgets(line, sizeof line, stdin)) return 2;
    char keyhex[200];
    if (sscanf(line, "%63s %199s", suite, keyhex) != 2 || unhex(keyhex, key, sizeof key) < 0) return 2;
    srtp_t session = make_session(suite, key, !protect);
    static uint8_t buf[MAX_PACKET + SRTP_MAX_TRAILER_LEN];
    while (fgets(line, sizeof line, stdin)) {
        int rtcp = strncmp(line, "rtcp ", 5) == 0;
        if (!rtcp && strncmp(line, "rtp ", 4) != 0) continue;
        int len = unhex(line + (rtcp ? 5 : 4), buf, MAX_PACKET);
        if (len < 0) { printf("ERR hex\n"); continue; }
        srtp_err_status_t st;
        if (protect) st = rtcp ? srtp_protect_rtcp(session, buf, &len) : srtp_protect(session, buf, &len);
        else st = rtcp ? srtp_unprotect_rtcp(session, buf, &len) : srtp_unprotect(session, buf, &len);
        if (st != srtp_err_status_ok) printf("ERR %d\n", (int)st);
        else puthex(buf, len);
    }
    srtp_dealloc(session);
    return 0;
}
