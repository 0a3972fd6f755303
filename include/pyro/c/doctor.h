/**
 * @file pyro/c/doctor.h
 * @brief Host checks: VMM, accelerator, kernel and cache.
 *
 * pyro_doctor() returns a report handle; a failed check is data in the report,
 * not an error.
 *
 *     pyro_doctor_report *rep = NULL;
 *     if (pyro_doctor(&rep, client, NULL) == PYRO_OK) {
 *         for (size_t i = 0; i < pyro_doctor_report_check_count(rep); ++i)
 *             printf("%s %s: %s\n", pyro_doctor_report_check_ok(rep, i) ? "ok " : "BAD",
 *                    pyro_doctor_report_check_name(rep, i),
 *                    pyro_doctor_report_check_detail(rep, i));
 *         pyro_doctor_report_free(rep);
 *     }
 *
 * Strings are borrowed from the report, valid until it is freed. Accessors
 * accept NULL and out-of-range indexes (returning NULL or 0).
 */
#ifndef PYRO_C_DOCTOR_H
#define PYRO_C_DOCTOR_H

#include "pyro/c/client.h"
#include "pyro/c/common.h"
#include "pyro/c/error.h"

PYRO_BEGIN_DECL

/** Opaque doctor report. */
typedef struct pyro_doctor_report pyro_doctor_report;

/** Non-zero when every check passed. */
PYRO_EXTERN(int) pyro_doctor_report_ok(const pyro_doctor_report *rep);
/** "kvm", "tcg", or "" when no accelerator is usable. */
PYRO_EXTERN(const char *) pyro_doctor_report_accelerator(const pyro_doctor_report *rep);
/** Why that accelerator was chosen or why none is usable. */
PYRO_EXTERN(const char *) pyro_doctor_report_accelerator_reason(const pyro_doctor_report *rep);
PYRO_EXTERN(const char *) pyro_doctor_report_qemu_version(const pyro_doctor_report *rep);
PYRO_EXTERN(const char *) pyro_doctor_report_home(const pyro_doctor_report *rep);
/** Number of checks. */
PYRO_EXTERN(size_t) pyro_doctor_report_check_count(const pyro_doctor_report *rep);
/** Name of check @p index. */
PYRO_EXTERN(const char *) pyro_doctor_report_check_name(const pyro_doctor_report *rep, size_t index);
/** Non-zero when check @p index passed. */
PYRO_EXTERN(int) pyro_doctor_report_check_ok(const pyro_doctor_report *rep, size_t index);
/** Detail of check @p index: what was found, or why it is unusable. */
PYRO_EXTERN(const char *) pyro_doctor_report_check_detail(const pyro_doctor_report *rep, size_t index);
/** Releases a report. NULL is allowed. */
PYRO_EXTERN(void) pyro_doctor_report_free(pyro_doctor_report *rep);

/**
 * Checks the host (probing the accelerator, which may take a few seconds).
 * @param out receives the report (caller frees with pyro_doctor_report_free)
 * @return PYRO_OK even when checks fail; unexpected failures only
 */
PYRO_EXTERN(pyro_status) pyro_doctor(pyro_doctor_report **out, pyro_client *client,
                                     pyro_error **err);

PYRO_END_DECL

#endif /* PYRO_C_DOCTOR_H */
