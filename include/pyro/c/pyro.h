/**
 * @file pyro/c/pyro.h
 * @brief Umbrella header of the pyro C API (C99; links against libpyro_c).
 *
 *     #include <pyro/c/pyro.h>
 *
 *     pyro_client *client = NULL;
 *     pyro_exec_result *res = NULL;
 *     pyro_error *err = NULL;
 *     if (pyro_client_new(&client, NULL, &err) != PYRO_OK ||
 *         pyro_run_in_vm(&res, client, "busybox", "echo hello", NULL, NULL, &err) != PYRO_OK) {
 *         fprintf(stderr, "error: %s\n", pyro_error_message(err));
 *         pyro_error_free(err);
 *     } else {
 *         size_t n;
 *         fwrite(pyro_exec_result_stdout(res, &n), 1, n, stdout);
 *     }
 *     pyro_exec_result_free(res);
 *     pyro_client_free(client);
 *
 * See docs/c-api.md for conventions: status codes, error objects, ownership.
 */
#ifndef PYRO_C_PYRO_H
#define PYRO_C_PYRO_H

#include "pyro/c/common.h"
#include "pyro/c/version.h"
#include "pyro/c/error.h"
#include "pyro/c/log.h"
#include "pyro/c/progress.h"
#include "pyro/c/output.h"
#include "pyro/c/client.h"
#include "pyro/c/call.h"
#include "pyro/c/vm.h"
#include "pyro/c/environment.h"
#include "pyro/c/doctor.h"
#include "pyro/c/workspace.h"
#include "pyro/c/workspace_files.h"
#include "pyro/c/workspace_services.h"

#endif /* PYRO_C_PYRO_H */
