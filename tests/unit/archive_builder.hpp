// Hostile and ordinary archives for the extractor and seed tests, written entry by
// entry with libarchive's writer (so each test states exactly what the archive holds).
//
//   archive* a = archive_write_new(); ... open it ...
//   write_entries(a, {{"d", 'd'}, {"d/f", 'f', "data"}, {"../x", 'f', "escape"}});
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <sys/sysmacros.h>

#include <string>
#include <vector>

namespace pyro::test {

struct ArchiveEntry {
  std::string path;
  char type = 'f';   // f file, d directory, l symlink, h hard link, c char device, b block device, p fifo
  std::string data;  // content, or link target
  int mode = 0;      // 0: 0755 for directories, else 0644
};

/// Writes `entries`, in order, into the open writer `a`.
inline void write_entries(archive* a, const std::vector<ArchiveEntry>& entries) {
  for (const ArchiveEntry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_perm(entry, e.mode != 0 ? e.mode : (e.type == 'd' ? 0755 : 0644));
    archive_entry_set_mtime(entry, 1700000000, 0);
    switch (e.type) {
      case 'd': archive_entry_set_filetype(entry, AE_IFDIR); break;
      case 'l': archive_entry_set_filetype(entry, AE_IFLNK); archive_entry_set_symlink(entry, e.data.c_str()); break;
      case 'h': archive_entry_set_filetype(entry, AE_IFREG); archive_entry_set_hardlink(entry, e.data.c_str()); break;
      case 'c': archive_entry_set_filetype(entry, AE_IFCHR); archive_entry_set_rdev(entry, makedev(1, 3)); break;
      case 'b': archive_entry_set_filetype(entry, AE_IFBLK); archive_entry_set_rdev(entry, makedev(8, 0)); break;
      case 'p': archive_entry_set_filetype(entry, AE_IFIFO); break;
      default:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
    }
    REQUIRE(archive_write_header(a, entry) == ARCHIVE_OK);
    if (e.type == 'f' && !e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
}

}  // namespace pyro::test
