// result_alloc.hpp — how the plain C result structs are built and released.
//
// Every allocation is malloc/calloc so that the `_free` functions are the only
// code that needs to know how a struct was built. Builders throw std::bad_alloc
// (call them inside guard()); `Building` frees a half-built struct on the way out.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace pyro::capi {

/// A malloc'd, NUL-terminated copy (binary-safe: embedded NULs are kept).
inline char* dup(const std::string& s) {
  auto* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

template <class T>
T* zalloc() {
  auto* p = static_cast<T*>(std::calloc(1, sizeof(T)));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

template <class T>
T* zalloc_array(size_t n) {
  auto* p = static_cast<T*>(std::calloc(n == 0 ? 1 : n, sizeof(T)));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

inline void release(const char* s) { std::free(const_cast<char*>(s)); }

inline void release_strings(const char* const* a, size_t n) {
  if (a == nullptr) return;
  for (size_t i = 0; i < n; ++i) release(a[i]);
  std::free(const_cast<const char**>(a));
}

/// Fills `slot`/`count` with copies of `in`. The array is zeroed and both set
/// before filling, so release_strings(slot, count) frees a partial one correctly.
inline void dup_strings(const std::vector<std::string>& in, const char* const*& slot, size_t& count) {
  auto** a = zalloc_array<const char*>(in.size());
  slot = a;
  count = in.size();
  for (size_t i = 0; i < in.size(); ++i) a[i] = dup(in[i]);
}

// Owns a struct under construction; its `_free` runs if a later step throws.
template <class T>
using Building = std::unique_ptr<T, void (*)(T*)>;

// Fills `items`/`count` of a list: the array is allocated zeroed and the count
// set first, so a partial list is freed correctly.
template <class Item, class Src, class Make>
void fill_items(Item**& items, size_t& count, const std::vector<Src>& in, Make make) {
  items = zalloc_array<Item*>(in.size());
  count = in.size();
  for (size_t i = 0; i < in.size(); ++i) items[i] = make(in[i]);
}

template <class Item, class Free>
void free_items(Item** items, size_t count, Free free_item) {
  if (items == nullptr) return;
  for (size_t i = 0; i < count; ++i) free_item(items[i]);
  std::free(items);
}

}  // namespace pyro::capi
