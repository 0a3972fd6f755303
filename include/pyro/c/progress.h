/**
 * @file pyro/c/progress.h
 * @brief Progress of long work: pyro_pull_environment(), pyro_import_environment(),
 *        pyro_create_workspace() (with a seed) and pyro_call_json_ex().
 *
 *     static void on_progress(const pyro_progress *p, void *payload) {
 *         if (p->total != 0)
 *             fprintf((FILE *)payload, "%s: %llu of %llu %s\n", p->stage,
 *                     (unsigned long long)p->done, (unsigned long long)p->total, p->unit);
 *         else
 *             fprintf((FILE *)payload, "%s: %s\n", p->stage, p->message);
 *     }
 *     pull.progress = on_progress;
 *     pull.progress_payload = stderr;
 */
#ifndef PYRO_C_PROGRESS_H
#define PYRO_C_PROGRESS_H

#include "pyro/c/common.h"

PYRO_BEGIN_DECL

/**
 * One report of progress; valid only during the callback. Fields are only ever
 * appended: read a field past the ones you know only when @c size says it is there
 * (`size >= offsetof(pyro_progress, field) + sizeof field`).
 * Stages come in order ("download kernel", "build boot set", "build rootfs",
 * "make image", "unpack image", "copy seed", "make disk", "start workspace");
 * within a stage @c done never decreases.
 */
typedef struct pyro_progress {
    size_t size;          /**< sizeof the struct pyro filled in */
    const char *stage;    /**< what is being done now; never NULL */
    const char *message;  /**< a human line about it; "" when none, never NULL */
    uint64_t done;        /**< units finished in this stage */
    uint64_t total;       /**< units of the whole stage; 0: unknown */
    const char *unit;     /**< what done/total count ("bytes", "layers", "entries"); "" when unused */
} pyro_progress;

/**
 * Receives progress, on the thread that made the call, before it returns.
 * @param progress the event, valid only during the call
 * @param payload  the `progress_payload` of the options
 * A callback must not throw (from C++) or longjmp out; if a C++ exception does
 * come through, later events are skipped and the call fails with PYRO_E_USER.
 */
typedef void (*pyro_progress_cb)(const pyro_progress *progress, void *payload);

PYRO_END_DECL

#endif /* PYRO_C_PROGRESS_H */
