// C ABI: host checks (include/pyro/c/doctor.h).
#include "capi_internal.hpp"

namespace {
const pyro::DoctorCheck* check_at(const pyro_doctor_report* r, size_t index) {
  return r && index < r->value.checks.size() ? &r->value.checks[index] : nullptr;
}
}  // namespace

extern "C" {

int pyro_doctor_report_ok(const pyro_doctor_report* r) { return r && r->value.ok; }
const char* pyro_doctor_report_accelerator(const pyro_doctor_report* r) {
  return r ? r->value.accelerator.c_str() : nullptr;
}
const char* pyro_doctor_report_accelerator_reason(const pyro_doctor_report* r) {
  return r ? r->value.accelerator_reason.c_str() : nullptr;
}
const char* pyro_doctor_report_qemu_version(const pyro_doctor_report* r) {
  return r ? r->value.qemu_version.c_str() : nullptr;
}
const char* pyro_doctor_report_home(const pyro_doctor_report* r) {
  return r ? r->value.home.c_str() : nullptr;
}
size_t pyro_doctor_report_check_count(const pyro_doctor_report* r) {
  return r ? r->value.checks.size() : 0;
}
const char* pyro_doctor_report_check_name(const pyro_doctor_report* r, size_t index) {
  auto* c = check_at(r, index);
  return c ? c->name.c_str() : nullptr;
}
int pyro_doctor_report_check_ok(const pyro_doctor_report* r, size_t index) {
  auto* c = check_at(r, index);
  return c && c->ok;
}
const char* pyro_doctor_report_check_detail(const pyro_doctor_report* r, size_t index) {
  auto* c = check_at(r, index);
  return c ? c->detail.c_str() : nullptr;
}
void pyro_doctor_report_free(pyro_doctor_report* r) { delete r; }

pyro_status pyro_doctor(pyro_doctor_report** out, pyro_client* client, pyro_error** err) {
  pyro::capi::reset(err);
  PYRO_CHECK_ARG(out);
  *out = nullptr;
  PYRO_CHECK_ARG(client);
  return pyro::capi::guard(err, __func__,
                           [&] { *out = new pyro_doctor_report{client->impl.doctor()}; });
}

}  // extern "C"
