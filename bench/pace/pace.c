/*
 * pace: an open-loop HTTP/1.1 load generator for one route at a fixed rate, for the P3 latency target.
 *
 * Why C and not the bench's .NET client: at 20,000 requests/s on a 2-core machine the .NET paced client needed
 * 0.77 cores and its own send lag (p99 24.7 ms) dominated the tail it was meant to measure. This client is one
 * thread on epoll with pre-encoded requests: a few syscalls per request, no allocation, no GC.
 *
 * Request k is scheduled at start + k / rate and goes out on any idle keep-alive connection; its latency is counted
 * from its scheduled time, so a stall in the server (or here) shows up instead of being waited out (no coordinated
 * omission). The send lag (actual send minus schedule) is reported on its own, so the client's part is visible.
 *
 * usage: pace PORT RATE SECONDS CONNECTIONS REQUEST_FILE...
 *   each REQUEST_FILE holds one complete raw HTTP/1.1 request; they are sent round-robin.
 * output (one line each, key=value): requests, errors, seconds, p50_ms, p90_ms, p99_ms, p999_ms, max_ms,
 *   mean_ms, uncorrected_p99_ms, late (sent > 1 ms after schedule), send_lag_p99_ms, client_cpu_s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    int busy;
    int64_t scheduled, sent;
    char buf[65536];
    size_t filled;
} conn_t;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(int64_t *sorted, long n, double p) {
    if (n == 0) return 0;
    long i = (long)((p / 100.0) * n + 0.999999) - 1;
    if (i < 0) i = 0;
    if (i >= n) i = n - 1;
    return sorted[i] / 1e6;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) { perror(path); exit(2); }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* A complete response in c->buf: returns its total length, or 0 if more bytes are needed. */
static size_t response_length(conn_t *c, int *status) {
    char *end = memmem(c->buf, c->filled, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t head = (size_t)(end - c->buf) + 4;
    *status = atoi(c->buf + 9);
    size_t body = 0;
    for (char *line = c->buf; line < end; ) {
        char *next = memmem(line, (size_t)(end - line) + 2, "\r\n", 2);
        if (!next) break;
        if (strncasecmp(line, "Content-Length:", 15) == 0) body = strtoul(line + 15, NULL, 10);
        line = next + 2;
    }
    return c->filled >= head + body ? head + body : 0;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: pace PORT RATE SECONDS CONNECTIONS REQUEST_FILE...\n");
        return 2;
    }
    int port = atoi(argv[1]);
    double rate = atof(argv[2]), seconds = atof(argv[3]);
    int nconn = atoi(argv[4]);
    int nreq = argc - 5;
    char **req = malloc(sizeof(char *) * (size_t)nreq);
    size_t *reqlen = malloc(sizeof(size_t) * (size_t)nreq);
    for (int i = 0; i < nreq; i++) req[i] = read_file(argv[5 + i], &reqlen[i]);
    long total = (long)(rate * seconds);
    int64_t *corrected = malloc(sizeof(int64_t) * (size_t)total);
    int64_t *raw = malloc(sizeof(int64_t) * (size_t)total);
    int64_t *lag = malloc(sizeof(int64_t) * (size_t)total);
    conn_t *conns = calloc((size_t)nconn, sizeof(conn_t));
    int *idle = malloc(sizeof(int) * (size_t)nconn), nidle = 0;
    int ep = epoll_create1(0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    for (int i = 0; i < nconn; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); return 2; }
        conns[i].fd = fd;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        idle[nidle++] = i;
    }
    int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct epoll_event tev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    const int64_t interval = (int64_t)(1e9 / rate);
    const int64_t start = now_ns() + 100000000LL;
    long next = 0, done = 0, errors = 0, late = 0;
    int64_t last_end = start;
    struct epoll_event events[256];
    while (done < total) {
        int64_t now = now_ns();
        /* Send every request whose time has come, while a connection is free; the rest wait (and count as late). */
        while (next < total && nidle > 0 && start + next * interval <= now) {
            conn_t *c = &conns[idle[--nidle]];
            int k = (int)(next % nreq);
            c->scheduled = start + next * interval;
            c->sent = now_ns();
            c->busy = 1;
            c->filled = 0;
            if (send(c->fd, req[k], reqlen[k], MSG_NOSIGNAL) != (ssize_t)reqlen[k]) { perror("send"); return 1; }
            next++;
        }
        if (next < total && nidle > 0) {
            struct itimerspec its = { 0 };
            int64_t at = start + next * interval;
            its.it_value.tv_sec = at / 1000000000LL;
            its.it_value.tv_nsec = at % 1000000000LL;
            timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
        }
        int n = epoll_wait(ep, events, 256, 1000);
        for (int e = 0; e < n; e++) {
            uint32_t id = events[e].data.u32;
            if (id == UINT32_MAX) {
                uint64_t x;
                if (read(tfd, &x, sizeof x) < 0 && errno != EAGAIN) perror("timerfd");
                continue;
            }
            conn_t *c = &conns[id];
            ssize_t r = recv(c->fd, c->buf + c->filled, sizeof c->buf - c->filled, 0);
            if (r <= 0) { fprintf(stderr, "connection %u closed\n", id); return 1; }
            c->filled += (size_t)r;
            int status = 0;
            if (c->busy && response_length(c, &status) > 0) {
                int64_t end = now_ns();
                int64_t from = c->scheduled < c->sent ? c->scheduled : c->sent;
                corrected[done] = end - from;
                raw[done] = end - c->sent;
                lag[done] = c->sent > c->scheduled ? c->sent - c->scheduled : 0;
                if (lag[done] > 1000000) late++;
                if (status < 200 || status > 299) errors++;
                done++;
                last_end = end;
                c->busy = 0;
                idle[nidle++] = (int)id;
            }
        }
    }
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec)
        + ((ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec)) / 1e6;
    double mean = 0;
    for (long i = 0; i < done; i++) mean += corrected[i] / 1e6;
    mean = done ? mean / done : 0;
    qsort(corrected, (size_t)done, sizeof(int64_t), cmp64);
    qsort(raw, (size_t)done, sizeof(int64_t), cmp64);
    qsort(lag, (size_t)done, sizeof(int64_t), cmp64);
    printf("requests=%ld\nerrors=%ld\nseconds=%.3f\n", done, errors, (last_end - start) / 1e9);
    printf("p50_ms=%.3f\np90_ms=%.3f\np99_ms=%.3f\np999_ms=%.3f\nmax_ms=%.3f\nmean_ms=%.3f\n",
        pct_ms(corrected, done, 50), pct_ms(corrected, done, 90), pct_ms(corrected, done, 99),
        pct_ms(corrected, done, 99.9), done ? corrected[done - 1] / 1e6 : 0, mean);
    printf("uncorrected_p99_ms=%.3f\nlate=%ld\nsend_lag_p99_ms=%.3f\nclient_cpu_s=%.3f\n",
        pct_ms(raw, done, 99), late, pct_ms(lag, done, 99), cpu);
    return 0;
}
