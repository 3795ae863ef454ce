/*
 * swiftnet.h — the C interface of the swiftnet training engine (libswiftnet).
 *
 * Conventions
 *   - Every function that can fail returns an int32_t status: SN_OK (0) or an SN_ERROR_* code.
 *     The message of the last failure on the calling thread is returned by sn_last_error().
 *   - Results come back through out-parameters; the caller allocates every buffer the library
 *     fills, and owns every buffer it passes in. No pointer crosses the boundary in ownership.
 *   - Messages start with the failing function's name in brackets: "[sn_session_create] ...".
 *   - Models, datasets and sessions are opaque handles released with their _free function.
 *   - Shapes are int64_t arrays; the first axis of data arrays is the sample axis.
 *   - Data arrays are C-contiguous (row-major) float32, int32 or int64: integer class labels
 *     travel as integers, exactly.
 *   - Configs (layers, models, compile settings) are JSON texts with Keras's names and defaults.
 *   - Calls on one model are serialised by a lock in the model: functions may be called from
 *     several threads, and a failed call leaves the model usable.
 *
 * A minimal training program (a 2-8-1 network, binary cross-entropy):
 *
 *   sn_model *model;
 *   sn_model_create("{\"name\":\"mlp\",\"inputs\":[{\"shape\":[null,2]}],\"layers\":["
 *       "{\"class_name\":\"Dense\",\"name\":\"h\",\"config\":{\"units\":8,\"activation\":\"tanh\"}},"
 *       "{\"class_name\":\"Dense\",\"name\":\"out\",\"config\":{\"units\":1,\"activation\":\"sigmoid\"}}],"
 *       "\"graph\":{\"nodes\":[{\"input\":0},{\"layer\":0,\"inputs\":[[0,0]]},{\"layer\":1,\"inputs\":[[1,0]]}],"
 *       "\"outputs\":[[2,0]]}}", &model);
 *   sn_model_compile(model, "{\"optimizer\":\"adam\"}");
 *   sn_dataset *data;
 *   int64_t xs[2] = {n, 2}, ys[2] = {n, 1};
 *   sn_dataset_create(&data);
 *   sn_dataset_add_array(data, "x0", SN_DTYPE_FLOAT32, x, xs, 2);
 *   sn_dataset_add_array(data, "y0", SN_DTYPE_FLOAT32, y, ys, 2);
 *   const char *objective =  // mean binary cross-entropy of output 0 against target 0
 *       "{\"graph\":{\"nodes\":[{\"target\":0},{\"output\":0},"
 *       "{\"op\":\"loss\",\"attrs\":{\"kind\":\"binary_crossentropy\"},\"inputs\":[[0,0],[1,0]]},"
 *       "{\"op\":\"mean\",\"inputs\":[[2,0]]}],\"outputs\":[[3,0]]},\"loss_names\":[\"loss\"]}";
 *   char options[1024];
 *   snprintf(options, sizeof options, "{\"mode\":\"train\",\"batch_size\":32,\"shuffle\":true,\"objective\":%s}", objective);
 *   sn_session *fit;
 *   sn_session_create(model, data, options, &fit);
 *   for (int epoch = 0; epoch < 100; epoch++) {
 *       int32_t finished = 0;
 *       sn_session_begin_epoch(fit, epoch);
 *       while (!finished) sn_session_run(fit, 100, 0.1, &finished);
 *   }
 *   sn_session_free(fit);
 *   sn_dataset_free(data);
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
#define SN_ERROR_MEMORY 5   /* the system refused memory (Python: MemoryError); nothing changed */

/* Element types of dataset arrays. */
#define SN_DTYPE_FLOAT32 0
#define SN_DTYPE_INT32 1
#define SN_DTYPE_INT64 2
#define SN_DTYPE_BOOL 3

typedef struct sn_model sn_model;
typedef struct sn_dataset sn_dataset;
typedef struct sn_session sn_session;
typedef struct sn_optimizer sn_optimizer;
typedef struct sn_step_session sn_step_session;

/* The library version, e.g. "0.1.0". Static storage. */
const char *sn_version(void);

/* The message of the last failed call on this thread ("" if none). Valid until the next call
 * on this thread. */
const char *sn_last_error(void);

/* The number of threads the engine's kernels use: SWIFTNET_NUM_THREADS when set, else the CPUs
 * the process may run on (at most 64). Setting it (1 to 256) affects later calls in this process;
 * a forked child starts its own threads. */
int32_t sn_set_num_threads(int32_t count);
int32_t sn_get_num_threads(void);

/* Validates one layer's config (class name and settings) without any input shape:
 * layer_json: {"class_name": "Dense", "name": "dense", "config": {"units": 10, ...}}. */
int32_t sn_layer_validate(const char *layer_json);

/* The output specs of an op or a layer for inputs of the given specs, as a JSON list written into
 * buffer (NUL-terminated) when `capacity` suffices; *length always receives its length.
 *   node_json: {"op": "add", "attrs": {...}} or {"layer": {"class_name": "Dense", "config": {...}}}
 *   input_specs_json: [{"shape": [null, 784], "dtype": "float32"}, ...] (null: unknown size) */
int32_t sn_infer(const char *node_json, const char *input_specs_json, char *buffer, int64_t capacity,
                 int64_t *length);

/* Runs one op on arrays: operands are the arrays "0", "1", ... of `inputs`; results are written into
 * the arrays "0", ... of `outputs`, which must have the shapes and dtypes sn_infer gives (bool
 * results are float32 0/1 in arrays added with SN_DTYPE_BOOL). */
int32_t sn_op_run(const char *node_json, sn_dataset *inputs, sn_dataset *outputs);

/* Gradients of a recorded eager computation (swiftnet.GradientTape), replayed in one pass:
 *   {"nodes": [...], "outputs": [[node, output], ...], "sources": [leaf, ...],
 *    "weights": [[model, layer, weight], ...]}
 * Nodes are {"input": i} (array "i" of `inputs`), ops {"op", "attrs", "inputs"} (run as sn_op_run
 * runs them) and model calls {"model": k, "training": bool, "seed": s, "inputs"} (model k of
 * `models`). Each output is a target whose gradient is seeded from array "seed{k}" of `inputs`
 * when present, else with ones. Writes into `outputs` the float32 arrays "g{j}" (gradient of
 * source leaf j), "w{j}" (gradient of weight j; layer -1 names the model's variable j) — zeros
 * when unconnected — and "connected" (1 or 0 per source leaf, then per weight). */
int32_t sn_tape_gradients(const char *spec_json, sn_dataset *inputs, sn_dataset *outputs, sn_model *const *models,
                          int32_t model_count);

/* An optimizer used outside fit (Keras's optimizer.apply on eager variables), from the optimizer
 * JSON sn_model_compile takes. sn_optimizer_apply updates the float32 arrays "0", "1", ... of
 * `values` in place from the same-shaped arrays "0", ... of `gradients`; the variables must be
 * the same (count and shapes) at every call, as the optimizer keeps their state. */
int32_t sn_optimizer_create(const char *optimizer_json, sn_optimizer **out_optimizer);
int32_t sn_optimizer_apply(sn_optimizer *optimizer, sn_dataset *values, sn_dataset *gradients);
int32_t sn_optimizer_iterations(sn_optimizer *optimizer, int64_t *out_iterations);
/* Sets the rate of an optimizer made without a schedule (as sn_model_set_learning_rate). */
int32_t sn_optimizer_set_learning_rate(sn_optimizer *optimizer, double learning_rate);
void sn_optimizer_free(sn_optimizer *optimizer);

/* A pass of a custom train_step (or test_step) traced into the engine. The spec holds
 * {"programs": [{"rows": n, "nodes": [...], "outputs": [...]}, ...], "log_names": [...],
 *  "states": [{"name", "shape", "dtype"}, ...]}: one program per batch size (full batches and the
 * last one). Program nodes: {"data": i} (the batch of array "d{i}" of `dataset`), ops
 * {"op", "attrs", "inputs"}, {"state": i}, {"weight": [model, layer, weight]} (layer -1: the
 * model's variable), model calls {"model": k, "inputs", "training", "seed"}, gradients
 * {"gradient": ref, "seed": ref?, "sources": [[model, layer, weight], ...]}, optimizer updates
 * {"apply": k, "inputs": gradient refs, "weights": [...]} (optimizer k of `optimizers`) and
 * state writes {"update": i, "inputs": [ref]}; ops, weights and model calls marked "taped": false
 * record no gradient; outputs are the step's scalar logs. Options:
 * {"batch_size", "shuffle", "seed", "method": "fit" | "evaluate" | "predict"}. The session keeps the
 * models, optimizers and data arrays' handles alive; the caller keeps the arrays alive. */
int32_t sn_step_session_create(const char *spec_json, sn_dataset *dataset, sn_model *const *models, int32_t model_count,
                               sn_optimizer *const *optimizers, int32_t optimizer_count, const char *options_json,
                               sn_step_session **out_session);
int32_t sn_step_session_begin_epoch(sn_step_session *session, int64_t epoch);
/* Runs up to `max_steps` steps (or `max_seconds` when > 0); `steps_done`: batches done this pass. */
int32_t sn_step_session_run(sn_step_session *session, int64_t max_steps, double max_seconds, int32_t *finished,
                            int64_t *steps_done);
/* The logs the last step returned, in the order of the spec's "log_names". */
int32_t sn_step_session_logs(sn_step_session *session, double *values, int32_t capacity, int32_t *count);
/* Predict (method "predict", a traced predict_step): output `index` is written, rows first, into
 * `count` values (samples x per-sample size) of type `dtype` (SN_DTYPE_FLOAT32, INT32 or INT64). */
int32_t sn_step_session_set_output(sn_step_session *session, int32_t index, void *output, int64_t count, int32_t dtype);
/* Copies the states into the arrays "s0", "s1", ... of `dataset` (write 0), or from them (write 1). */
int32_t sn_step_session_states(sn_step_session *session, sn_dataset *dataset, int32_t write);
void sn_step_session_free(sn_step_session *session);

/* Fills `count` floats (the element count of `shape`) from a Keras initializer, e.g.
 * {"class_name": "GlorotUniform", "config": {"seed": 1}}; `seed` is used when it names none. */
int32_t sn_initializer_fill(const char *initializer_json, const int64_t *shape, int32_t rank, uint64_t seed,
                            float *out, int64_t count);

/* Builds a model and its weights from a JSON spec:
 *   {"name": "mlp", "seed": 42,
 *    "inputs": [{"name": "x", "shape": [null, 2], "dtype": "float32"}],
 *    "layers": [{"class_name": "Dense", "name": "h", "config": {...}, "trainable": true}, ...],
 *    "variables": [{"name": "w", "shape": [2, 3], "dtype": "float32", "trainable": true}, ...],
 *    "graph": {"nodes": [...], "outputs": [[node, output], ...]},
 *    "training_graph": (optional: a graph used by fit when it differs), "output_names": [...]}
 * Graph nodes, in topological order (inputs refer to earlier nodes as [node, output]):
 *   {"input": i}, {"variable": i}, {"layer": i, "inputs": [[n, o]], "training": null|true|false},
 *   {"op": "matmul", "attrs": {...}, "inputs": [...]}, {"assign": i, "inputs": [[n, o]]}.
 * A layer is built with its first call's input shape; initializers without a "seed" are seeded
 * from the model's "seed". Variables start at zero (set them with sn_model_set_weight). */
int32_t sn_model_create(const char *spec_json, sn_model **out_model);

/* Releases a model. Sessions keep their model alive until they are freed too. NULL is ignored. */
void sn_model_free(sn_model *model);

/* Writes a JSON description (layers, output shapes, weights, optimizer state) into buffer,
 * NUL-terminated, if `capacity` suffices; *length always receives the length without the NUL. */
int32_t sn_model_describe(sn_model *model, char *buffer, int64_t capacity, int64_t *length);

/* Copies weight `weight` of layer `layer` (Keras order, e.g. Dense: 0 kernel (in, out), 1 bias), or
 * with layer = -1 the model's variable `weight`, into `out`, which holds `count` floats (the
 * weight's exact size). */
int32_t sn_model_get_weight(sn_model *model, int32_t layer, int32_t weight, float *out, int64_t count);

/* Overwrites a weight from `count` floats; fails without change on NaN/inf or a size mismatch. */
int32_t sn_model_set_weight(sn_model *model, int32_t layer, int32_t weight, const float *values, int64_t count);

/* Sets the optimizer: {"optimizer": "adam" | {"class_name": "Adam", "config": {"learning_rate": 0.001}}}.
 * Losses and metrics travel with each training or evaluation session (their graphs depend on the
 * data). A failed compile keeps the previous settings. */
int32_t sn_model_compile(sn_model *model, const char *settings_json);

/* The optimizer's learning rate (requires compile). */
int32_t sn_model_get_learning_rate(sn_model *model, double *out_value);
int32_t sn_model_set_learning_rate(sn_model *model, double value);

/* The compiled optimizer's state as JSON: {"class_name", "iterations", "slot_names" (Keras's names of
   each weight's state buffers), "extra" (other state values, e.g. Nadam's momentum product), "weights"
   (per optimized weight, in order: {"layer", "weight"} or {"variable"}), "sizes" (per weight, the
   size of each slot; empty before the first update)}. */
int32_t sn_model_optimizer_state(sn_model *model, char *buffer, int64_t capacity, int64_t *length);

/* Sets the optimizer's step count and extra values (`extra_count` of them), creating the slots (at
   their initial values) if no update has yet, so that sn_model_optimizer_slot can write saved ones. */
int32_t sn_model_set_optimizer_state(sn_model *model, int64_t iterations, const float *extra, int32_t extra_count);

/* Reads (write = 0) or writes (write = 1) slot `slot` of optimized weight `weight`: exactly its
   `count` values. */
int32_t sn_model_optimizer_slot(sn_model *model, int32_t weight, int32_t slot, float *values, int64_t count, int32_t write);

/* A set of named arrays read in place: a session's data (see sn_session_create) or an op's
 * operands (see sn_op_run). dtype is SN_DTYPE_*; bool arrays hold float32 0/1. The arrays must stay
 * valid and unchanged until every session created from the dataset is freed; the dataset handle
 * itself may be freed as soon as the sessions exist. */
int32_t sn_dataset_create(sn_dataset **out_dataset);
int32_t sn_dataset_add_array(sn_dataset *dataset, const char *name, int32_t dtype, const void *data,
                             const int64_t *shape, int32_t rank);
void sn_dataset_free(sn_dataset *dataset);

/* A pass over a dataset. options_json:
 *   {"mode": "train" | "evaluate" | "predict", "batch_size": 32, "shuffle": false, "seed": 0,
 *    "objective": (train, evaluate) {"graph": G, "loss_names": ["loss", ...], "states": [...],
 *                 "results": G, "result_names": [...]}}
 * Arrays: "x0", ... (one per model input), "y0", ... (targets) and "sw0", ... (sample weights).
 * The objective's graph reads {"output": i} (model outputs), {"target": i}, {"sample_weight": i},
 * {"state": i} (metric states, reset each pass) and writes states with {"update": i, "inputs": ...};
 * its first output is the loss minimised, the others are logged under their names; "results"
 * computes the metrics from the states. shuffle (train only) reorders samples every epoch from
 * `seed` and the epoch. Train and evaluate check all data first; every batch is checked again as
 * it is read. Fails on shape mismatches, NaN/inf, labels out of range, or use before compile. */
int32_t sn_session_create(sn_model *model, sn_dataset *dataset, const char *options_json, sn_session **out_session);

/* The shape a predict session writes for output `index` (samples first); *rank receives its rank. */
int32_t sn_session_output_shape(sn_session *session, int32_t index, int64_t *shape, int32_t capacity, int32_t *rank);

/* The dtype (SN_DTYPE_*) of output `index`; bool outputs are written as float32 0/1. */
int32_t sn_session_output_dtype(sn_session *session, int32_t index, int32_t *dtype);

/* The buffer a predict session writes output `index` into: exactly its element count of its dtype
 * (float32 for SN_DTYPE_FLOAT32 and SN_DTYPE_BOOL, int32_t, int64_t). */
int32_t sn_session_set_output(sn_session *session, int32_t index, void *output, int64_t count);

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

/* Streams the next part of a train or evaluate pass (data from a generator): `dataset` replaces the
   session's arrays (same names, per-sample shapes and dtypes as at creation; any number of samples),
   read in order `batch_size` rows per step by the following sn_session_run calls. Losses and metrics
   keep running over the whole pass. The caller keeps the arrays alive until the next feed or free. */
int32_t sn_session_feed(sn_session *session, sn_dataset *dataset, int64_t batch_size);

/* Data-parallel training over MPI (Open MPI or MPICH, loaded at run time): initialises MPI if needed
   and gives this process's rank and the number of processes. A session created with
   {"distributed": true} then runs its share of every batch and averages gradients across processes. */
int32_t sn_distribution_initialize(int64_t *rank, int64_t *size);

/* Ends every process of the MPI job (after an error in this one). */
int32_t sn_distribution_abort(int32_t code);

/* Leaves the MPI job cleanly (at the end of the process). */
int32_t sn_distribution_finalize(void);

/* Seconds spent in gradient all-reduces, and their number, since MPI was initialised. */
int32_t sn_distribution_stats(double *seconds, int64_t *calls);

/* Evaluation (swiftnet.utils' scikit-learn-compatible metrics). `count` samples; `weights` may be
 * NULL (every sample weighs 1); scores and weights must be finite; `is_positive` holds 0 or 1 per
 * sample. Results equal sklearn.metrics' bit for bit: samples weighing 0 are left out, the rest are
 * sorted by decreasing score (ties keep their order) and weights summed in that order.
 *
 * The ROC curve: one point per distinct score (without the points collinear with their
 * neighbours when drop_intermediate is 1) after a first point (0, 0) at threshold +inf. fpr is NaN
 * everywhere when the negatives weigh <= 0, tpr likewise for the positives. fpr, tpr and
 * thresholds hold `capacity` >= count + 1 values; *length receives the number of points and
 * totals[0], totals[1] the weight of the negatives and positives. */
int32_t sn_eval_roc_curve(const double *scores, const int32_t *is_positive, const double *weights, int64_t count,
                          int32_t drop_intermediate, double *fpr, double *tpr, double *thresholds, int64_t capacity,
                          int64_t *length, double *totals);

/* The precision-recall curve: *length increasing thresholds (with drop_intermediate 1, only the
 * first and last of each run of equal recall), and *length + 1 precision and recall values, the
 * last 1 and 0. Precision is 0 where nothing is predicted positive; recall is 1 everywhere when
 * the positives weigh 0. Buffers and totals as sn_eval_roc_curve. */
int32_t sn_eval_precision_recall_curve(const double *scores, const int32_t *is_positive, const double *weights,
                                       int64_t count, int32_t drop_intermediate, double *precision, double *recall,
                                       double *thresholds, int64_t capacity, int64_t *length, double *totals);

/* Average precision: the sum of (R[n] - R[n-1]) P[n] over the precision-recall curve, at least 0;
 * totals as sn_eval_roc_curve. */
int32_t sn_eval_average_precision(const double *scores, const int32_t *is_positive, const double *weights,
                                  int64_t count, double *value, double *totals);

/* The area under the curve through `count` >= 2 points (x, y) by the trapezoidal rule; x must be
 * increasing or decreasing (a decreasing x gives the same positive area). */
int32_t sn_eval_auc(const double *x, const double *y, int64_t count, double *area);

/* The class_count x class_count confusion matrix (row-major, rows true classes) of summed weights.
 * Samples with an index outside [0, class_count) on either side are left out. class_count <= 4096. */
int32_t sn_eval_confusion_matrix(const int64_t *true_index, const int64_t *pred_index, const double *weights,
                                 int64_t count, int64_t class_count, double *matrix);

/* Per class (class_count values each), the summed weights of samples of it predicted as it
 * (true_positives), predicted as it (predicted) and truly of it (actual). Every index must be in
 * [0, class_count). */
int32_t sn_eval_class_totals(const int64_t *true_index, const int64_t *pred_index, const double *weights,
                             int64_t count, int64_t class_count, double *true_positives, double *predicted,
                             double *actual);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTNET_H */
