/* A C client of libswiftnet: trains XOR through the public header only, and checks that bad
 * calls return an error status with a message instead of crashing. Exit status 0 on success. */
#include <stdio.h>
#include <string.h>
#include "swiftnet.h"

static int failures = 0;
#define CHECK(cond, what) do { if (!(cond)) { fprintf(stderr, "FAIL: %s (%s)\n", what, sn_last_error()); failures++; } } while (0)

int main(void) {
    const char *spec =
        "{\"name\":\"xor\",\"seed\":3,\"inputs\":[{\"name\":\"in\",\"shape\":[null,2]}],\"layers\":["
        "{\"class_name\":\"Dense\",\"name\":\"hidden\",\"config\":{\"units\":16,\"activation\":\"tanh\"}},"
        "{\"class_name\":\"Dense\",\"name\":\"out\",\"config\":{\"units\":1,\"activation\":\"sigmoid\"}}],"
        "\"graph\":{\"nodes\":[{\"input\":0},{\"layer\":0,\"inputs\":[[0,0]]},{\"layer\":1,\"inputs\":[[1,0]]}],"
        "\"outputs\":[[2,0]]}}";
    /* Mean binary cross-entropy, and binary accuracy as a metric state (total, count) and result. */
    const char *objective =
        "{\"graph\":{\"nodes\":[{\"target\":0},{\"output\":0},"
        "{\"op\":\"loss\",\"attrs\":{\"kind\":\"binary_crossentropy\"},\"inputs\":[[0,0],[1,0]]},"
        "{\"op\":\"mean\",\"inputs\":[[2,0]]},"
        "{\"op\":\"constant\",\"attrs\":{\"values\":[0.5],\"shape\":[]}},"
        "{\"op\":\"greater\",\"inputs\":[[1,0],[4,0]]},"
        "{\"op\":\"cast\",\"attrs\":{\"dtype\":\"float32\"},\"inputs\":[[5,0]]},"
        "{\"op\":\"equal\",\"inputs\":[[6,0],[0,0]]},"
        "{\"op\":\"cast\",\"attrs\":{\"dtype\":\"float32\"},\"inputs\":[[7,0]]},"
        "{\"state\":0},{\"op\":\"sum\",\"inputs\":[[8,0]]},{\"op\":\"add\",\"inputs\":[[9,0],[10,0]]},"
        "{\"update\":0,\"inputs\":[[11,0]]},"
        "{\"state\":1},{\"op\":\"ones_like\",\"inputs\":[[8,0]]},{\"op\":\"sum\",\"inputs\":[[14,0]]},"
        "{\"op\":\"add\",\"inputs\":[[13,0],[15,0]]},{\"update\":1,\"inputs\":[[16,0]]}],"
        "\"outputs\":[[3,0]]},\"loss_names\":[\"loss\"],"
        "\"states\":[{\"name\":\"total\",\"shape\":[]},{\"name\":\"count\",\"shape\":[]}],"
        "\"results\":{\"nodes\":[{\"state\":0},{\"state\":1},{\"op\":\"divide\",\"inputs\":[[0,0],[1,0]]}],"
        "\"outputs\":[[2,0]]},\"result_names\":[\"accuracy\"]}";
    char fit_options[4096];
    snprintf(fit_options, sizeof fit_options, "{\"mode\":\"train\",\"batch_size\":4,\"shuffle\":true,\"seed\":1,\"objective\":%s}",
             objective);
    float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    float y[4] = {0, 1, 1, 0};
    int64_t x_shape[2] = {4, 2}, y_shape[2] = {4, 1};

    sn_model *model = NULL;
    CHECK(sn_model_create(spec, &model) == SN_OK, "create model");
    if (!model) return 1;

    sn_dataset *data = NULL;
    CHECK(sn_dataset_create(&data) == SN_OK, "create dataset");
    CHECK(sn_dataset_add_array(data, "x0", SN_DTYPE_FLOAT32, x, x_shape, 2) == SN_OK, "add x");
    CHECK(sn_dataset_add_array(data, "y0", SN_DTYPE_FLOAT32, y, y_shape, 2) == SN_OK, "add y");
    CHECK(sn_dataset_add_array(data, "w", 7, y, y_shape, 2) == SN_ERROR_TYPE
          && strstr(sn_last_error(), "[sn_dataset_add_array]") != NULL, "unknown dtype is refused");

    /* Training before compile is a state error, not a crash. */
    sn_session *session = NULL;
    int32_t status = sn_session_create(model, data, fit_options, &session);
    CHECK(status == SN_ERROR_STATE && strstr(sn_last_error(), "compile") != NULL, "fit before compile is refused");

    CHECK(sn_model_compile(model, "{\"optimizer\":{\"class_name\":\"Adam\",\"config\":{\"learning_rate\":0.05}}}") == SN_OK,
          "compile");
    CHECK(sn_model_compile(model, "{\"optimizer\":\"adamm\"}") == SN_ERROR_VALUE
          && strstr(sn_last_error(), "adamm") != NULL, "unknown optimizer is refused");
    CHECK(sn_model_compile(model, "{not json") == SN_ERROR_VALUE, "malformed JSON is refused");
    CHECK(sn_model_set_learning_rate(model, 1e300) == SN_ERROR_VALUE
          && strstr(sn_last_error(), "[sn_model_set_learning_rate]") != NULL, "learning rate beyond float32 is refused");

    CHECK(sn_session_create(model, data, fit_options, &session) == SN_OK, "create training session");
    double logs[2] = {0, 0};
    for (int epoch = 0; epoch < 300 && session; epoch++) {
        int32_t finished = 0, count = 0;
        CHECK(sn_session_begin_epoch(session, epoch) == SN_OK, "begin epoch");
        while (!finished) CHECK(sn_session_run(session, 10, 0.1, &finished) == SN_OK, "run");
        CHECK(sn_session_log_values(session, logs, 2, &count) == SN_OK && count == 2, "logs");
    }
    sn_session_free(session);
    printf("final loss %.4f accuracy %.2f\n", logs[0], logs[1]);
    CHECK(logs[0] < 0.1 && logs[1] == 1.0, "XOR is learned");

    float probabilities[4];
    int64_t out_shape[4];
    int32_t out_rank = 0, finished = 0;
    CHECK(sn_session_create(model, data, "{\"mode\":\"predict\"}", &session) == SN_OK, "create predict session");
    CHECK(sn_session_run(session, 100, 0, &finished) == SN_ERROR_STATE, "predict without an output buffer is refused");
    CHECK(sn_session_output_shape(session, 0, out_shape, 4, &out_rank) == SN_OK && out_rank == 2
          && out_shape[0] == 4 && out_shape[1] == 1, "output shape");
    CHECK(sn_session_output_shape(session, 1, out_shape, 4, &out_rank) == SN_ERROR_VALUE, "output index out of range");
    CHECK(sn_session_set_output(session, 0, probabilities, 3) == SN_ERROR_VALUE, "short output buffer is refused");
    CHECK(sn_session_set_output(session, 0, probabilities, 4) == SN_OK, "set output");
    CHECK(sn_session_run(session, 100, 0, &finished) == SN_OK && finished, "predict");
    sn_session_free(session);
    for (int i = 0; i < 4; i++) CHECK((probabilities[i] > 0.5f) == (y[i] > 0.5f), "prediction matches XOR");
    sn_dataset_free(data);

    /* Wrong input width, wrong weight size, NULL arguments: errors with messages. */
    int64_t bad_shape[2] = {2, 4};
    sn_dataset *bad = NULL;
    CHECK(sn_dataset_create(&bad) == SN_OK && sn_dataset_add_array(bad, "x0", SN_DTYPE_FLOAT32, x, bad_shape, 2) == SN_OK,
          "dataset of the wrong width");
    CHECK(sn_session_create(model, bad, "{\"mode\":\"predict\"}", &session) == SN_ERROR_VALUE
          && strstr(sn_last_error(), "expected shape=(None, 2)") != NULL, "wrong input shape");
    /* Inputs of different lengths. */
    int64_t short_shape[2] = {3, 1};
    CHECK(sn_dataset_add_array(bad, "x0", SN_DTYPE_FLOAT32, x, x_shape, 2) == SN_OK
          && sn_dataset_add_array(bad, "y0", SN_DTYPE_FLOAT32, y, short_shape, 2) == SN_OK, "arrays of different lengths");
    CHECK(sn_session_create(model, bad, fit_options, &session) == SN_ERROR_VALUE
          && strstr(sn_last_error(), "cardinality") != NULL, "arrays of different lengths are refused");
    sn_dataset_free(bad);
    /* An op run on its own, through the header: 2 + 3 in float32. */
    float two = 2, three = 3, five = 0;
    sn_dataset *operands = NULL, *results = NULL;
    CHECK(sn_dataset_create(&operands) == SN_OK && sn_dataset_create(&results) == SN_OK, "op datasets");
    CHECK(sn_dataset_add_array(operands, "0", SN_DTYPE_FLOAT32, &two, NULL, 0) == SN_OK
          && sn_dataset_add_array(operands, "1", SN_DTYPE_FLOAT32, &three, NULL, 0) == SN_OK
          && sn_dataset_add_array(results, "0", SN_DTYPE_FLOAT32, &five, NULL, 0) == SN_OK, "op arrays");
    CHECK(sn_op_run("{\"op\":\"add\"}", operands, results) == SN_OK && five == 5, "2 + 3 = 5");
    CHECK(sn_op_run("{\"op\":\"nope\"}", operands, results) == SN_ERROR_VALUE && strstr(sn_last_error(), "nope"), "unknown op");
    sn_dataset_free(operands);
    sn_dataset_free(results);

    float kernel[3];
    CHECK(sn_model_get_weight(model, 1, 0, kernel, 3) == SN_ERROR_VALUE, "wrong weight size");
    CHECK(sn_model_get_weight(NULL, 1, 0, kernel, 3) == SN_ERROR_VALUE, "NULL model");
    CHECK(sn_model_get_weight(model, 9, 0, kernel, 3) == SN_ERROR_VALUE, "layer out of range");

    sn_model_free(model);
    if (failures) { fprintf(stderr, "%d check(s) failed\n", failures); return 1; }
    printf("C client: all checks passed (library %s)\n", sn_version());
    return 0;
}
