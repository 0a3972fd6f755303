/* Links libpyro_c from an installed prefix, checks that the library loaded is the
 * one the headers describe, and makes one call that needs no VM. Prints
 * "pyro_c <version> <environments>"; exit 1 on any failure. */
#include <stdio.h>
#include <string.h>

#include <pyro/c/pyro.h>

int main(void) {
    pyro_client *client = NULL;
    pyro_environment_list *envs = NULL;
    pyro_error *err = NULL;
    if (strcmp(pyro_version(), PYRO_VERSION_STRING) != 0 || pyro_version_number() != PYRO_VERSION_NUMBER) {
        fprintf(stderr, "consumer_c: headers %s, library %s\n", PYRO_VERSION_STRING, pyro_version());
        return 1;
    }
    if (pyro_client_new(&client, NULL, &err) != PYRO_OK ||
        pyro_list_environments(&envs, client, &err) != PYRO_OK) {
        fprintf(stderr, "consumer_c: %s\n", pyro_error_message(err));
        pyro_error_free(err);
        pyro_client_free(client);
        return 1;
    }
    printf("pyro_c %s %zu\n", pyro_version(), pyro_environment_list_count(envs));
    pyro_environment_list_free(envs);
    pyro_client_free(client);
    return 0;
}
