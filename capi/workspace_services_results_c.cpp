// C ABI: the plain result structs of the service and shell operations — deep
// copies from C++ (workspace_services_results.hpp) and their `_free` functions.
#include <cstdlib>

#include "result_alloc.hpp"
#include "workspace_services_results.hpp"

namespace {

using pyro::capi::Building;
using pyro::capi::dup;
using pyro::capi::fill_items;
using pyro::capi::free_items;
using pyro::capi::release;
using pyro::capi::zalloc;

void free_published_port(pyro_published_port* p) {
  if (p == nullptr) return;
  release(p->host);
  std::free(p);
}

pyro_published_port* new_published_port(const pyro::PublishedPort& in) {
  Building<pyro_published_port> out(zalloc<pyro_published_port>(), free_published_port);
  out->guest_port = in.guest_port;
  out->host_port = in.host_port;
  out->host = dup(in.host);
  return out.release();
}

// The chunk fields are flattened into both output structs, which share their names.
template <class Out>
void copy_chunk(Out& out, const pyro::OutputChunk& in) {
  out.output = dup(in.output);
  out.output_len = in.output.size();
  out.cursor = in.cursor;
  out.next_cursor = in.next_cursor;
  out.missed_bytes = in.missed_bytes;
  out.more = in.more ? 1 : 0;
}

}  // namespace

namespace pyro::capi {

pyro_service_info* new_service_info(const pyro::ServiceInfo& in) {
  Building<pyro_service_info> out(zalloc<pyro_service_info>(), pyro_service_info_free);
  out->name = dup(in.name);
  out->command = dup(in.command);
  out->cwd = dup(in.cwd);
  out->state = dup(in.state);
  out->pid = in.pid;
  out->exit_code = in.exit_code;
  out->signal = in.signal;
  out->restarts = in.restarts;
  out->started_at = dup(in.started_at);
  out->ended_at = dup(in.ended_at);
  out->readiness = dup(in.readiness);
  out->ready = in.ready ? 1 : 0;
  fill_items(out->published_ports, out->published_port_count, in.published_ports,
             new_published_port);
  return out.release();
}

pyro_service_list* new_service_list(const std::vector<pyro::ServiceInfo>& in) {
  Building<pyro_service_list> out(zalloc<pyro_service_list>(), pyro_service_list_free);
  fill_items(out->items, out->count, in, new_service_info);
  return out.release();
}

pyro_service_logs* new_service_logs(const pyro::ServiceLogs& in) {
  Building<pyro_service_logs> out(zalloc<pyro_service_logs>(), pyro_service_logs_free);
  out->name = dup(in.name);
  copy_chunk(*out, in.chunk);
  out->service = new_service_info(in.service);
  return out.release();
}

pyro_shell_info* new_shell_info(const pyro::ShellInfo& in) {
  Building<pyro_shell_info> out(zalloc<pyro_shell_info>(), pyro_shell_info_free);
  out->shell_id = dup(in.shell_id);
  out->state = dup(in.state);
  out->pid = in.pid;
  out->exit_code = in.exit_code;
  out->cols = in.cols;
  out->rows = in.rows;
  out->cwd = dup(in.cwd);
  out->created_at = dup(in.created_at);
  return out.release();
}

pyro_shell_output* new_shell_output(const pyro::ShellOutput& in) {
  Building<pyro_shell_output> out(zalloc<pyro_shell_output>(), pyro_shell_output_free);
  out->shell_id = dup(in.shell_id);
  copy_chunk(*out, in.chunk);
  out->shell = new_shell_info(in.shell);
  return out.release();
}

}  // namespace pyro::capi

extern "C" {

void pyro_service_info_free(pyro_service_info* i) {
  if (i == nullptr) return;
  release(i->name);
  release(i->command);
  release(i->cwd);
  release(i->state);
  release(i->started_at);
  release(i->ended_at);
  release(i->readiness);
  free_items(i->published_ports, i->published_port_count, free_published_port);
  std::free(i);
}

void pyro_service_list_free(pyro_service_list* l) {
  if (l == nullptr) return;
  free_items(l->items, l->count, pyro_service_info_free);
  std::free(l);
}

void pyro_service_logs_free(pyro_service_logs* l) {
  if (l == nullptr) return;
  release(l->name);
  release(l->output);
  pyro_service_info_free(l->service);
  std::free(l);
}

void pyro_shell_info_free(pyro_shell_info* i) {
  if (i == nullptr) return;
  release(i->shell_id);
  release(i->state);
  release(i->cwd);
  release(i->created_at);
  std::free(i);
}

void pyro_shell_output_free(pyro_shell_output* o) {
  if (o == nullptr) return;
  release(o->shell_id);
  release(o->output);
  pyro_shell_info_free(o->shell);
  std::free(o);
}

}  // extern "C"
