/* Counts heap allocations per training step of the engine, through the C header only: the MLP of
 * mlp_epoch.py (784-128-10, Adam, batch 64) trains on random data; malloc, calloc, realloc and the
 * aligned allocators are interposed by this executable and counted while sn_session_run runs
 * 100, then 300 steps; the difference over 200 steps is what one step allocates after the first.
 * Built and run by step_allocations.py. */
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "swiftnet.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static atomic_long calls, bytes;
static atomic_int counting;

static void count(size_t size) {
    if (atomic_load_explicit(&counting, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&bytes, (long)size, memory_order_relaxed);
    }
}
void *malloc(size_t size) { count(size); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(n * size); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(size); return __libc_realloc(p, size); }
void *memalign(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(size); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    count(size);
    *out = __libc_memalign(alignment, size);
    return *out ? 0 : 12;
}

#define CHECK(call) do { if ((call) != SN_OK) { fprintf(stderr, "%s: %s\n", #call, sn_last_error()); return 1; } } while (0)

static int run_steps(sn_session *session, int steps, long *out_calls, long *out_bytes) {
    int32_t finished = 0;
    atomic_store(&calls, 0);
    atomic_store(&bytes, 0);
    atomic_store(&counting, 1);
    int status = sn_session_run(session, steps, 0, &finished);
    atomic_store(&counting, 0);
    *out_calls = atomic_load(&calls);
    *out_bytes = atomic_load(&bytes);
    return status;
}

int main(void) {
    const char *spec =
        "{\"name\":\"mlp\",\"seed\":1,\"inputs\":[{\"name\":\"x\",\"shape\":[null,784]}],\"layers\":["
        "{\"class_name\":\"Dense\",\"name\":\"hidden\",\"config\":{\"units\":128,\"activation\":\"relu\"}},"
        "{\"class_name\":\"Dense\",\"name\":\"out\",\"config\":{\"units\":10,\"activation\":\"softmax\"}}],"
        "\"graph\":{\"nodes\":[{\"input\":0},{\"layer\":0,\"inputs\":[[0,0]]},{\"layer\":1,\"inputs\":[[1,0]]}],"
        "\"outputs\":[[2,0]]}}";
    const char *options =
        "{\"mode\":\"train\",\"batch_size\":64,\"shuffle\":true,\"seed\":1,\"objective\":{\"graph\":{\"nodes\":["
        "{\"target\":0},{\"output\":0},"
        "{\"op\":\"loss\",\"attrs\":{\"kind\":\"sparse_categorical_crossentropy\"},\"inputs\":[[0,0],[1,0]]},"
        "{\"op\":\"mean\",\"inputs\":[[2,0]]}],\"outputs\":[[3,0]]},\"loss_names\":[\"loss\"]}}";
    enum { SAMPLES = 60000, FEATURES = 784 };
    float *x = __libc_malloc(sizeof(float) * SAMPLES * FEATURES);
    float *y = __libc_malloc(sizeof(float) * SAMPLES);
    srand(1);
    for (long i = 0; i < (long)SAMPLES * FEATURES; i++) x[i] = (float)rand() / RAND_MAX;
    for (long i = 0; i < SAMPLES; i++) y[i] = (float)(rand() % 10);
    int64_t x_shape[2] = {SAMPLES, FEATURES}, y_shape[2] = {SAMPLES, 1};
    sn_model *model = NULL;
    sn_dataset *data = NULL;
    sn_session *session = NULL;
    CHECK(sn_model_create(spec, &model));
    CHECK(sn_model_compile(model, "{\"optimizer\":{\"class_name\":\"Adam\",\"config\":{}}}"));
    CHECK(sn_dataset_create(&data));
    CHECK(sn_dataset_add_array(data, "x0", SN_DTYPE_FLOAT32, x, x_shape, 2));
    CHECK(sn_dataset_add_array(data, "y0", SN_DTYPE_FLOAT32, y, y_shape, 2));
    CHECK(sn_session_create(model, data, options, &session));
    CHECK(sn_session_begin_epoch(session, 0));
    long warm_calls, warm_bytes, short_calls, short_bytes, long_calls, long_bytes;
    CHECK(run_steps(session, 20, &warm_calls, &warm_bytes));        /* the first steps size the memory */
    CHECK(run_steps(session, 100, &short_calls, &short_bytes));
    CHECK(run_steps(session, 300, &long_calls, &long_bytes));
    printf("first 20 steps: %ld allocations, %ld bytes\n", warm_calls, warm_bytes);
    printf("later steps: %.1f allocations, %.0f bytes per step\n", (long_calls - short_calls) / 200.0,
           (long_bytes - short_bytes) / 200.0);
    sn_session_free(session);
    sn_dataset_free(data);
    sn_model_free(model);
    return 0;
}
