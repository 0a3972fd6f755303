/* The umbrella C header must compile on its own as strict C99
 * (-std=c99 -Wall -Wextra -pedantic -Werror) and be usable from plain C. */
#include "pyro/c/pyro.h"

/* Exercise the initialiser macros and a few types so unused-ness is not the only check. */
int pyro_headertest_sizes(void);
int pyro_headertest_sizes(void) {
    pyro_client_options c = PYRO_CLIENT_OPTIONS_INIT;
    pyro_vm_options v = PYRO_VM_OPTIONS_INIT;
    pyro_exec_options e = PYRO_EXEC_OPTIONS_INIT;
    pyro_status s = PYRO_E_NOT_FOUND;
    pyro_log_cb cb = NULL;
    (void)cb;
    return (int)(c.version + v.version + e.version) + s + PYRO_VERSION_NUMBER;
}
