// libarchive helpers shared by the image importer and the workspace seeder:
// owning handles and error text that names the system's reason.
#pragma once

#include <archive.h>

#include <memory>
#include <string>

#include "pyro/error.hpp"

namespace pyro::detail {

struct ArchiveReadDeleter {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
struct ArchiveWriteDeleter {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadDeleter>;
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteDeleter>;

/// libarchive's message with the system's reason, which it often leaves out
/// ("Write failed: No space left on device").
std::string archive_message(archive* a);

/// kResourceExhausted for a full disk or quota, else kInternal.
ErrorCode code_for_errno(int err);

}  // namespace pyro::detail
