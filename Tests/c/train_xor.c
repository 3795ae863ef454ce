/* A C client of libswiftnet: trains XOR through the public header only, and checks that bad
 * calls return an error status with a message instead of crashing. Exit status 0 on success. */
#include <stdio.h>
#include <string.h>
#include "swiftnet.h"

static int failures = 0;
#define CHECK(cond, what) do { if (!(cond)) { fprintf(stderr, "FAIL: %s (%s)\n", what, sn_last_error()); failures++; } } while (0)

int main(void) {
    const char *spec =
        "{\"name\":\"xor\",\"seed\":3,\"layers\":["
        "{\"class_name\":\"InputLayer\",\"name\":\"in\",\"config\":{\"shape\":[2]}},"
        "{\"class_name\":\"Dense\",\"name\":\"hidden\",\"config\":{\"units\":16,\"activation\":\"tanh\"},\"inbound\":[0]},"
        "{\"class_name\":\"Dense\",\"name\":\"out\",\"config\":{\"units\":1,\"activation\":\"sigmoid\"},\"inbound\":[1]}]}";
    float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    float y[4] = {0, 1, 1, 0};
    int64_t x_shape[2] = {4, 2}, y_shape[2] = {4, 1};

    sn_model *model = NULL;
    CHECK(sn_model_create(spec, &model) == SN_OK, "create model");
    if (!model) return 1;

    sn_dataset *data = NULL;
    CHECK(sn_dataset_create(&data) == SN_OK, "create dataset");
    CHECK(sn_dataset_add_array(data, "x", SN_DTYPE_FLOAT32, x, x_shape, 2) == SN_OK, "add x");
    CHECK(sn_dataset_add_array(data, "y", SN_DTYPE_FLOAT32, y, y_shape, 2) == SN_OK, "add y");
    int64_t short_shape[2] = {3, 1};
    CHECK(sn_dataset_add_array(data, "w", SN_DTYPE_FLOAT32, y, short_shape, 2) == SN_ERROR_VALUE
          && strstr(sn_last_error(), "[sn_dataset_add_array]") != NULL, "arrays of different lengths are refused");
    CHECK(sn_dataset_add_array(data, "w", 7, y, y_shape, 2) == SN_ERROR_TYPE, "unknown dtype is refused");

    /* Training before compile is a state error, not a crash. */
    const char *fit_options = "{\"mode\":\"train\",\"batch_size\":4,\"shuffle\":true,\"seed\":1}";
    sn_session *session = NULL;
    int32_t status = sn_session_create(model, data, fit_options, &session);
    CHECK(status == SN_ERROR_STATE && strstr(sn_last_error(), "compile") != NULL, "fit before compile is refused");

    CHECK(sn_model_compile(model, "{\"optimizer\":{\"class_name\":\"Adam\",\"config\":{\"learning_rate\":0.05}},"
                                  "\"loss\":\"binary_crossentropy\",\"metrics\":[\"accuracy\"]}") == SN_OK, "compile");
    CHECK(sn_model_compile(model, "{\"optimizer\":\"adamm\",\"loss\":\"mse\"}") == SN_ERROR_VALUE
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
    CHECK(sn_session_output_shape(session, out_shape, 4, &out_rank) == SN_OK && out_rank == 2
          && out_shape[0] == 4 && out_shape[1] == 1, "output shape");
    CHECK(sn_session_set_output(session, probabilities, 3) == SN_ERROR_VALUE, "short output buffer is refused");
    CHECK(sn_session_set_output(session, probabilities, 4) == SN_OK, "set output");
    CHECK(sn_session_run(session, 100, 0, &finished) == SN_OK && finished, "predict");
    sn_session_free(session);
    for (int i = 0; i < 4; i++) CHECK((probabilities[i] > 0.5f) == (y[i] > 0.5f), "prediction matches XOR");
    sn_dataset_free(data);

    /* Wrong input width, wrong weight size, NULL arguments: errors with messages. */
    int64_t bad_shape[2] = {2, 4};
    sn_dataset *bad = NULL;
    CHECK(sn_dataset_create(&bad) == SN_OK && sn_dataset_add_array(bad, "x", SN_DTYPE_FLOAT32, x, bad_shape, 2) == SN_OK,
          "dataset of the wrong width");
    CHECK(sn_session_create(model, bad, "{\"mode\":\"predict\"}", &session) == SN_ERROR_VALUE
          && strstr(sn_last_error(), "expected shape=(None, 2)") != NULL, "wrong input shape");
    sn_dataset_free(bad);
    float kernel[3];
    CHECK(sn_model_get_weight(model, 1, 0, kernel, 3) == SN_ERROR_VALUE, "wrong weight size");
    CHECK(sn_model_get_weight(NULL, 1, 0, kernel, 3) == SN_ERROR_VALUE, "NULL model");
    CHECK(sn_model_get_weight(model, 9, 0, kernel, 3) == SN_ERROR_VALUE, "layer out of range");

    sn_model_free(model);
    if (failures) { fprintf(stderr, "%d check(s) failed\n", failures); return 1; }
    printf("C client: all checks passed (library %s)\n", sn_version());
    return 0;
}
