/*
 * swiftnet.h — the C interface of the swiftnet training engine (libswiftnet).
 *
 * Conventions
 *   - Every function that can fail returns an int32_t status: SN_OK (0) or an SN_ERROR_* code.
 *     The message of the last failure on the calling thread is returned by sn_last_error().
 *   - Results come back through out-parameters; the caller allocates every buffer the library
 *     fills, and owns every buffer it passes in. No pointer crosses the boundary in ownership.
 *   - Models and sessions are opaque handles released with their _free function.
 *   - Shapes are int64_t arrays; the first axis of data arrays is the sample axis.
 *   - Arrays are float32, C-contiguous (row-major). Labels for sparse losses are float32 integers.
 *   - Configs (layers, models, compile settings) are JSON texts with Keras's names and defaults.
 *   - Calls on one model are serialised by a lock in the model: functions may be called from
 *     several threads, and a failed call leaves the model usable.
 *
 * A minimal training program:
 *
 *   sn_model *model;
 *   sn_model_create("{\"name\":\"mlp\",\"layers\":["
 *       "{\"class_name\":\"InputLayer\",\"name\":\"in\",\"config\":{\"shape\":[2]}},"
 *       "{\"class_name\":\"Dense\",\"name\":\"h\",\"config\":{\"units\":8,\"activation\":\"tanh\"},\"inbound\":[0]},"
 *       "{\"class_name\":\"Dense\",\"name\":\"out\",\"config\":{\"units\":1,\"activation\":\"sigmoid\"},\"inbound\":[1]}]}",
 *       &model);
 *   sn_model_compile(model, "{\"optimizer\":\"adam\",\"loss\":\"binary_crossentropy\",\"metrics\":[\"accuracy\"]}");
 *   sn_session *fit;
 *   int64_t xs[2] = {n, 2}, ys[2] = {n, 1};
 *   sn_session_create(model, SN_MODE_TRAIN, x, xs, 2, y, ys, 2, NULL, 0, 32, 1, 42, &fit);
 *   for (int epoch = 0; epoch < 100; epoch++) {
 *       int32_t finished = 0;
 *       sn_session_begin_epoch(fit, epoch);
 *       while (!finished) sn_session_run(fit, 100, 0.1, &finished);
 *   }
 *   sn_session_free(fit);
 *   sn_model_free(model);
 */
#ifndef SWIFTNET_H
#define SWIFTNET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. */
#define SN_OK 0
#define SN_ERROR_VALUE 1    /* a value or shape is invalid (Python: ValueError) */
#define SN_ERROR_TYPE 2     /* an argument has the wrong type (Python: TypeError) */
#define SN_ERROR_STATE 3    /* a call made in the wrong order, e.g. fit before compile */
#define SN_ERROR_INTERNAL 4 /* a failure no input should cause */

/* Session modes. */
#define SN_MODE_TRAIN 0
#define SN_MODE_EVALUATE 1
#define SN_MODE_PREDICT 2

typedef struct sn_model sn_model;
typedef struct sn_session sn_session;

/* The library version, e.g. "0.1.0". Static storage. */
const char *sn_version(void);

/* The message of the last failed call on this thread ("" if none). Valid until the next call
 * on this thread. */
const char *sn_last_error(void);

/* Validates one layer's config (class name and settings) without any input shape:
 * layer_json: {"class_name": "Dense", "name": "dense", "config": {"units": 10, ...}}. */
int32_t sn_layer_validate(const char *layer_json);

/* Validates one layer and computes its per-sample output shape for a per-sample input shape.
 * layer_json: {"class_name": "Dense", "name": "dense", "config": {"units": 10, ...}}.
 * output_shape has room for `capacity` dimensions; *output_rank receives the rank. */
int32_t sn_layer_output_shape(const char *layer_json, const int64_t *input_shape, int32_t input_rank,
                              int64_t *output_shape, int32_t capacity, int32_t *output_rank);

/* Builds a model and its weights from a JSON spec:
 *   {"name": "mlp", "seed": 42,
 *    "layers": [{"class_name": ..., "name": ..., "config": {...}, "inbound": [earlier indices]}, ...],
 *    "inputs": [index of the InputLayer], "outputs": [index of the output layer]}
 * Layers are listed in topological order; "inputs" defaults to [0], "outputs" to the last layer.
 * Initializers without a "seed" are seeded from the model's "seed". */
int32_t sn_model_create(const char *spec_json, sn_model **out_model);

/* Releases a model. Sessions keep their model alive until they are freed too. NULL is ignored. */
void sn_model_free(sn_model *model);

/* Writes a JSON description (layers, output shapes, weights, optimizer state) into buffer,
 * NUL-terminated, if `capacity` suffices; *length always receives the length without the NUL. */
int32_t sn_model_describe(sn_model *model, char *buffer, int64_t capacity, int64_t *length);

/* Copies weight `weight` of layer `layer` (Keras order, e.g. Dense: 0 kernel (in, out), 1 bias)
 * into `out`, which holds `count` floats (the weight's exact size). */
int32_t sn_model_get_weight(sn_model *model, int32_t layer, int32_t weight, float *out, int64_t count);

/* Overwrites a weight from `count` floats; fails without change on NaN/inf or a size mismatch. */
int32_t sn_model_set_weight(sn_model *model, int32_t layer, int32_t weight, const float *values, int64_t count);

/* Sets loss, optimizer and metrics:
 *   {"optimizer": "adam" | {"class_name": "Adam", "config": {"learning_rate": 0.001, ...}},
 *    "loss": "sparse_categorical_crossentropy" | {"class_name": ..., "config": {"from_logits": true}},
 *    "metrics": ["accuracy", ...]}
 * A failed compile keeps the previous settings. */
int32_t sn_model_compile(sn_model *model, const char *settings_json);

/* The optimizer's learning rate (requires compile). */
int32_t sn_model_get_learning_rate(sn_model *model, double *out_value);
int32_t sn_model_set_learning_rate(sn_model *model, double value);

/* A pass over a dataset: training (SN_MODE_TRAIN), evaluation or prediction.
 *   x, x_shape[x_rank]: the samples; x_shape[0] is the sample count.
 *   y, y_shape[y_rank]: the targets (train, evaluate); NULL/0 for predict.
 *   output, output_count: predict writes every output row here (sample count x output size).
 *   batch_size > 0; shuffle (train only) reorders samples every epoch from `seed` and the epoch.
 * The buffers are read in place and must stay valid and unchanged until the session is freed.
 * Fails on shape mismatches, NaN/inf, labels out of range, or train/evaluate before compile. */
int32_t sn_session_create(sn_model *model, int32_t mode,
                          const float *x, const int64_t *x_shape, int32_t x_rank,
                          const float *y, const int64_t *y_shape, int32_t y_rank,
                          float *output, int64_t output_count,
                          int64_t batch_size, int32_t shuffle, uint64_t seed,
                          sn_session **out_session);

/* Releases a session. NULL is ignored. */
void sn_session_free(sn_session *session);

/* Starts a pass: resets running metrics; when shuffling, the order depends on `epoch`. */
int32_t sn_session_begin_epoch(sn_session *session, int64_t epoch);

/* Runs at most `max_steps` batches, returning early once `max_seconds` have passed (after at
 * least one batch). *finished becomes 1 at the end of the pass. Steps are never left half done. */
int32_t sn_session_run(sn_session *session, int64_t max_steps, double max_seconds, int32_t *finished);

/* Batches done in this pass and batches per pass. */
int32_t sn_session_progress(sn_session *session, int64_t *steps_done, int64_t *steps_per_epoch);

/* Names of the logged values, as a JSON array ("loss" first, then metrics), like sn_model_describe. */
int32_t sn_session_log_names(sn_session *session, char *buffer, int64_t capacity, int64_t *length);

/* Running averages of the logged values over this pass, in the order of sn_session_log_names. */
int32_t sn_session_log_values(sn_session *session, double *values, int32_t capacity, int32_t *count);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTNET_H */
