#pragma once
// The OpenAPI 3.1 document of this node's API, served at /openapi.json.

#include <string_view>

namespace comptoir::net {

/// The document (JSON), built into the binary from net/openapi.json.
std::string_view openapi_document();

} // namespace comptoir::net
