/* What the C API tests share: pass/fail counters, CHECK macros, and the
 * per-test and final summary lines. Each test is one C99 program that includes
 * this once, so the static definitions below are its own. */
#ifndef PYRO_TESTS_CAPI_TEST_SUPPORT_H
#define PYRO_TESTS_CAPI_TEST_SUPPORT_H

#include <stdio.h>

#include "pyro/c/pyro.h"

static int passed, failed;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            ++passed;                                                        \
        } else {                                                             \
            ++failed;                                                        \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                    \
    } while (0)

/* Checks a call's status; on an unexpected one prints the error message. */
#define CHECK_STATUS(call, expected)                                          \
    do {                                                                      \
        pyro_status s_ = (call);                                              \
        if (s_ == (expected)) {                                               \
            ++passed;                                                         \
        } else {                                                              \
            ++failed;                                                         \
            fprintf(stderr, "FAIL %s:%d: %s: got %s, want %s\n", __FILE__,     \
                    __LINE__, #call, pyro_status_str(s_),                     \
                    pyro_status_str(expected));                               \
        }                                                                     \
    } while (0)

/* One summary line per test function: "ok <what>" or "FAILED <what>". */
static void report(const char *what, int failed_before) {
    printf("%s %s\n", failed == failed_before ? "ok" : "FAILED", what);
}

/* The final line, "capi: N passed, M failed"; returns main's exit status. */
static int summary(void) {
    printf("capi: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
