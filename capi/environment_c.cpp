// C ABI: environment catalog (include/pyro/c/environment.h).
#include <memory>

#include "capi_internal.hpp"

namespace {
const char* field(const pyro_environment_info* i, std::string pyro::EnvironmentInfo::*m) {
  return i ? (i->value.*m).c_str() : nullptr;
}
}  // namespace

extern "C" {

const char* pyro_environment_info_name(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::name);
}
const char* pyro_environment_info_description(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::description);
}
int pyro_environment_info_installed(const pyro_environment_info* i) { return i && i->value.installed; }
const char* pyro_environment_info_path(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::path);
}
const char* pyro_environment_info_kernel_version(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::kernel_version);
}
const char* pyro_environment_info_agent_version(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::agent_version);
}
const char* pyro_environment_info_sha256(const pyro_environment_info* i) {
  return field(i, &pyro::EnvironmentInfo::sha256);
}

size_t pyro_environment_list_count(const pyro_environment_list* l) { return l ? l->items.size() : 0; }
const pyro_environment_info* pyro_environment_list_get(const pyro_environment_list* l, size_t index) {
  return l && index < l->items.size() ? &l->items[index] : nullptr;
}
void pyro_environment_list_free(pyro_environment_list* l) { delete l; }

pyro_status pyro_list_environments(pyro_environment_list** out, pyro_client* client,
                                   pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  return pyro::capi::guard(err, __func__, [&] {
    auto list = std::make_unique<pyro_environment_list>();
    for (auto& e : client->impl.list_environments()) {
      list->items.push_back(pyro_environment_info{std::move(e)});
    }
    *out = list.release();
  });
}

}  // extern "C"
