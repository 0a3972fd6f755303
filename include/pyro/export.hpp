// pyro/export.hpp — symbol visibility. libpyro is built with hidden visibility;
// only what is marked PYRO_API is part of its ABI.
#pragma once

#if defined(PYRO_STATIC_DEFINE)
#define PYRO_API
#else
#define PYRO_API __attribute__((visibility("default")))
#endif
