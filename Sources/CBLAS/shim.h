// OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
#include <cblas.h>
// OpenBLAS extension: lets the engine pick the thread count for small products.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
