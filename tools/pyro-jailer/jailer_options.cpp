#include "jailer_options.hpp"

#include <stdexcept>

namespace pyro_jailer {
namespace {

std::pair<std::string, std::string> split_assignment(const std::string& flag, const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw std::invalid_argument(flag + " expects FILE=VALUE, not " + text);
  return {text.substr(0, eq), text.substr(eq + 1)};
}

unsigned parse_id(const std::string& flag, const std::string& text) {
  size_t used = 0;
  unsigned long v = 0;
  try {
    v = std::stoul(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || v == 0 || v > 0xfffffffeUL) {
    throw std::invalid_argument(flag + " expects a non-zero id, not " + text);
  }
  return static_cast<unsigned>(v);
}

void require_absolute(const std::string& flag, const std::string& path) {
  if (path.empty() || path[0] != '/') throw std::invalid_argument(flag + " expects an absolute path, not " + path);
}

}  // namespace

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  size_t i = 0;
  auto value = [&](const std::string& flag) -> const std::string& {
    if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value");
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      o.argv.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a == "--root") {
      o.root = value(a);
      require_absolute(a, o.root);
    } else if (a == "--ro" || a == "--rw" || a == "--ro-sys" || a == "--dev") {
      Bind b{value(a), a == "--rw", a == "--ro-sys", a == "--dev"};
      require_absolute(a, b.path);
      o.binds.push_back(std::move(b));
    } else if (a == "--dev-owned") {
      Bind b{value(a), false, false, true, true};
      if (b.path.rfind("/dev/", 0) != 0 || b.path.find("/..") != std::string::npos) {
        throw std::invalid_argument(a + " needs a path under /dev/, not " + b.path);
      }
      o.binds.push_back(std::move(b));
    } else if (a == "--chown") {
      o.chown.push_back(value(a));
      require_absolute(a, o.chown.back());
    } else if (a == "--group-dir" || a == "--group-file") {
      auto& list = a == "--group-dir" ? o.group_dirs : o.group_files;
      list.push_back(value(a));
      require_absolute(a, list.back());
    } else if (a == "--create") {
      o.create.push_back(value(a));
      require_absolute(a, o.create.back());
    } else if (a == "--uid") {
      o.uid = parse_id(a, value(a));
    } else if (a == "--gid") {
      o.gid = parse_id(a, value(a));
    } else if (a == "--pid-ns") {
      o.pid_ns = true;
    } else if (a == "--ipc-ns") {
      o.ipc_ns = true;
    } else if (a == "--net-ns") {
      o.net_ns = true;
    } else if (a == "--cgroup-enable") {
      o.cgroup_enable.push_back(split_assignment(a, value(a)));
    } else if (a == "--cgroup") {
      o.cgroups.push_back(value(a));
      require_absolute(a, o.cgroups.back());
    } else if (a == "--cgroup-set") {
      o.cgroup_set.push_back(split_assignment(a, value(a)));
    } else if (a == "--pidfile") {
      o.pidfile = value(a);
      require_absolute(a, o.pidfile);
    } else if (a == "--detach") {
      o.detach = true;
    } else {
      throw std::invalid_argument("unknown flag " + a);
    }
  }
  if (o.argv.empty() || o.argv[0].empty() || o.argv[0][0] != '/') {
    throw std::invalid_argument("expected -- and the VMM's absolute path and arguments");
  }
  if (o.uid.has_value() != o.gid.has_value()) throw std::invalid_argument("--uid and --gid go together");
  if ((!o.chown.empty() || !o.group_dirs.empty() || !o.group_files.empty()) && !o.uid) {
    throw std::invalid_argument("--chown, --group-dir and --group-file need --uid and --gid");
  }
  for (const Bind& b : o.binds) {
    if (b.owned && (!o.uid || o.root.empty())) throw std::invalid_argument("--dev-owned needs --root, --uid and --gid");
  }
  return o;
}

}  // namespace pyro_jailer
