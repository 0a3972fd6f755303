// pyro/pyro.hpp — umbrella header of the C++ API.
#pragma once

#include "pyro/client.hpp"
#include "pyro/error.hpp"
#include "pyro/json.hpp"
#include "pyro/log.hpp"
#include "pyro/operations.hpp"
#include "pyro/types.hpp"
#include "pyro/version.hpp"
#include "pyro/workspace.hpp"
