/*
 * liburcu_peer: the liburcu figures that `bin/jrcu bench --liburcu` puts beside jrcu's in one table.
 *
 *   gcc -O2 -o liburcu_peer liburcu_peer.c -lurcu-memb -lurcu-qsbr -lurcu-bp -lurcu-common -lpthread
 *   liburcu_peer [seconds per figure] [callbacks queued before the one rcu_barrier of the bulk figure]
 *
 * One binary measures the three flavors side by side: with _LGPL_SOURCE each flavor's read lock/unlock is its
 * inlined fast path (urcu_<flavor>_read_lock), and the hot loops are stamped out once per flavor by the macros
 * below, so no read section goes through a function pointer. The cold operations (register, synchronize_rcu,
 * call_rcu, rcu_barrier, offline/online) go through liburcu's own per-flavor table, struct rcu_flavor_struct.
 *
 * Figures, each the shape of the jrcu benchmark it is compared with (io.jrcu.bench.*):
 *   read_pair    ns per read_lock + load + read_unlock, 1 and 2 reader threads (ReadSide.read with -t 1 / -t 2;
 *                like JMH's AverageTime with several threads, the average of the per-thread figures);
 *                a QSBR reader reports a quiescent state every 4096 sections.
 *   synchronize  µs per synchronize_rcu while one other registered thread runs read sections back to back
 *                (QSBR: a quiescent state every 64), each call timed on its own: p50, p99 and mean
 *                (GracePeriod.synchronize, readers=busy, SampleTime).
 *   call_batch   call_rcu per second when each round queues 10,000 callbacks and waits in rcu_barrier, as
 *                CallbackThroughput.intrusive does (the default call_rcu worker, the rcu_head reused after
 *                each barrier).
 *   call_bulk    call_rcu per second for one round of many callbacks and a single rcu_barrier.
 *
 * Output: one line per figure, only key=value fields, parsed by io.jrcu.bench.LiburcuPeer:
 *   liburcu metric=read_pair flavor=memb threads=1 mode=avgt score=1.21 unit=ns/op
 *   liburcu metric=synchronize flavor=memb threads=1 readers=busy mode=sample score=12.0 p50=11.2 p99=30.1 unit=us/op
 *   liburcu metric=call_batch flavor=memb threads=1 mode=thrpt score=2.1e+07 unit=ops/s
 */
#define _LGPL_SOURCE
#include <urcu/urcu-memb.h>
#include <urcu/urcu-qsbr.h>
#include <urcu/urcu-bp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* flavor.h declares only the table of the flavor whose header came first (its include guard). */
extern const struct rcu_flavor_struct urcu_memb_flavor;
extern const struct rcu_flavor_struct urcu_qsbr_flavor;
extern const struct rcu_flavor_struct urcu_bp_flavor;

#define CALL_BATCH 10000
#define QUIESCENT_EVERY_READ 4096
#define QUIESCENT_EVERY_BUSY 64

/* What every read section loads; written only before the readers start. */
static int shared_value = 42;
/* Set by the main thread to end a busy reader; the reader polls it with CMM_LOAD_SHARED. */
static int stop_busy;
/* Set by a busy reader once it is registered and has run its first sections; the main thread waits for it. */
static int busy_running;
/* Incremented by the call_rcu worker only; read by the main thread after rcu_barrier. */
static long callbacks_run;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* One timed reader thread: runs sections for `duration_ns`, reports ns per section. */
struct timed_reader {
    long long duration_ns;
    double ns_per_pair;
    unsigned sink;
};

/*
 * Stamps out, for flavor F, the timed read loop and the busy reader. The quiescent-state call is an empty inline
 * function for memb and bp, so the same loop serves every flavor.
 */
#define READ_LOOPS(F)                                                                                         \
    static void *F##_timed_reader(void *arg) {                                                                \
        struct timed_reader *r = arg;                                                                         \
        unsigned sink = 0;                                                                                    \
        long pairs = 0;                                                                                       \
        urcu_##F##_register_thread();                                                                         \
        long long start = now_ns(), end;                                                                      \
        do {                                                                                                  \
            for (int i = 0; i < QUIESCENT_EVERY_READ; i++) {                                                  \
                urcu_##F##_read_lock();                                                                       \
                sink += CMM_LOAD_SHARED(shared_value);                                                        \
                urcu_##F##_read_unlock();                                                                     \
            }                                                                                                 \
            urcu_##F##_quiescent_state();                                                                     \
            pairs += QUIESCENT_EVERY_READ;                                                                    \
            end = now_ns();                                                                                   \
        } while (end - start < r->duration_ns);                                                               \
        urcu_##F##_unregister_thread();                                                                       \
        r->ns_per_pair = (double) (end - start) / pairs;                                                      \
        r->sink = sink;                                                                                       \
        return NULL;                                                                                          \
    }                                                                                                         \
    static void *F##_busy_reader(void *arg) {                                                                 \
        unsigned sink = 0;                                                                                    \
        urcu_##F##_register_thread();                                                                         \
        while (!CMM_LOAD_SHARED(stop_busy)) {                                                                 \
            for (int i = 0; i < QUIESCENT_EVERY_BUSY; i++) {                                                  \
                urcu_##F##_read_lock();                                                                       \
                sink += CMM_LOAD_SHARED(shared_value);                                                        \
                urcu_##F##_read_unlock();                                                                     \
            }                                                                                                 \
            urcu_##F##_quiescent_state();                                                                     \
            CMM_STORE_SHARED(busy_running, 1);                                                                \
        }                                                                                                     \
        urcu_##F##_unregister_thread();                                                                       \
        *(unsigned *) arg = sink;                                                                             \
        return NULL;                                                                                          \
    }

READ_LOOPS(memb)
READ_LOOPS(qsbr)
READ_LOOPS(bp)

struct flavor {
    const char *name;
    const struct rcu_flavor_struct *ops;
    void *(*timed_reader)(void *);
    void *(*busy_reader)(void *);
};

static const struct flavor FLAVORS[] = {
    {"memb", &urcu_memb_flavor, memb_timed_reader, memb_busy_reader},
    {"qsbr", &urcu_qsbr_flavor, qsbr_timed_reader, qsbr_busy_reader},
    {"bp", &urcu_bp_flavor, bp_timed_reader, bp_busy_reader},
};

static void start_thread(pthread_t *t, void *(*body)(void *), void *arg) {
    int e = pthread_create(t, NULL, body, arg);
    if (e != 0) {
        fprintf(stderr, "liburcu_peer: pthread_create: %s\n", strerror(e));
        exit(1);
    }
}

static void read_pairs(const struct flavor *f, int threads, long long duration_ns) {
    pthread_t t[2];
    struct timed_reader r[2];
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        r[i] = (struct timed_reader) {.duration_ns = duration_ns};
        start_thread(&t[i], f->timed_reader, &r[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        sum += r[i].ns_per_pair;
    }
    printf("liburcu metric=read_pair flavor=%s threads=%d mode=avgt score=%.4f unit=ns/op\n",
           f->name, threads, sum / threads);
}

static int compare_ll(const void *a, const void *b) {
    long long x = *(const long long *) a, y = *(const long long *) b;
    return (x > y) - (x < y);
}

static void synchronize_with_busy_reader(const struct flavor *f, long long duration_ns) {
    enum { MAX_SAMPLES = 1 << 20 };
    long long *samples = malloc(MAX_SAMPLES * sizeof *samples);
    pthread_t busy;
    unsigned sink;
    long n = 0;
    double total = 0;
    if (samples == NULL) {
        fputs("liburcu_peer: out of memory\n", stderr);
        exit(1);
    }
    CMM_STORE_SHARED(stop_busy, 0);
    CMM_STORE_SHARED(busy_running, 0);
    start_thread(&busy, f->busy_reader, &sink);
    while (!CMM_LOAD_SHARED(busy_running)) {
        caa_cpu_relax();
    }
    /* The caller is not a registered reader: synchronize_rcu needs no registration in any flavor. */
    long long start = now_ns(), t0 = start, t1;
    do {
        f->ops->update_synchronize_rcu();
        t1 = now_ns();
        samples[n++] = t1 - t0;
        total += t1 - t0;
        t0 = t1;
    } while (t1 - start < duration_ns && n < MAX_SAMPLES);
    CMM_STORE_SHARED(stop_busy, 1);
    pthread_join(busy, NULL);
    qsort(samples, n, sizeof *samples, compare_ll);
    printf("liburcu metric=synchronize flavor=%s threads=1 readers=busy mode=sample score=%.4f p50=%.4f p99=%.4f "
           "unit=us/op\n", f->name, total / n / 1e3, samples[n / 2] / 1e3, samples[(long) (n * 0.99)] / 1e3);
    free(samples);
}

static void count_callback(struct rcu_head *head) {
    (void) head;
    callbacks_run++;
}

/* Rounds of `per_round` call_rcu then one rcu_barrier, until `duration_ns` has passed (at least one round). */
static void call_throughput(const struct flavor *f, const char *metric, long per_round, long long duration_ns) {
    struct rcu_head *heads = calloc(per_round, sizeof *heads);
    long calls = 0;
    if (heads == NULL) {
        fputs("liburcu_peer: out of memory\n", stderr);
        exit(1);
    }
    callbacks_run = 0;
    f->ops->register_thread();
    /* A QSBR thread must not be online in rcu_barrier; memb and bp have nothing to do here. */
    f->ops->thread_offline();
    long long start = now_ns(), end;
    do {
        for (long i = 0; i < per_round; i++) {
            f->ops->update_call_rcu(&heads[i], count_callback);
        }
        f->ops->barrier();  /* every callback queued so far has run: the heads may be queued again */
        calls += per_round;
        end = now_ns();
    } while (end - start < duration_ns);
    f->ops->thread_online();
    f->ops->unregister_thread();
    if (callbacks_run != calls) {
        fprintf(stderr, "liburcu_peer: %ld call_rcu but %ld callbacks ran\n", calls, callbacks_run);
        exit(1);
    }
    printf("liburcu metric=%s flavor=%s threads=1 mode=thrpt score=%.6g unit=ops/s\n",
           metric, f->name, calls / ((end - start) / 1e9));
    free(heads);
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    long bulk = argc > 2 ? atol(argv[2]) : 2000000L;
    if (argc > 3 || seconds <= 0 || bulk <= 0) {
        fputs("usage: liburcu_peer [seconds per figure > 0] [bulk callbacks > 0]\n", stderr);
        return 2;
    }
    long long duration_ns = (long long) (seconds * 1e9);
    for (size_t i = 0; i < sizeof FLAVORS / sizeof FLAVORS[0]; i++) {
        const struct flavor *f = &FLAVORS[i];
        read_pairs(f, 1, duration_ns);
        read_pairs(f, 2, duration_ns);
        synchronize_with_busy_reader(f, duration_ns);
        call_throughput(f, "call_batch", CALL_BATCH, duration_ns);
        call_throughput(f, "call_bulk", bulk, 0);
        fflush(stdout);
    }
    return 0;
}
