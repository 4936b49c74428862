#pragma once
// The API handlers: route, authenticate, validate, then ask the actors.

#include "domain/basket.hpp"
#include "net/auth.hpp"
#include "net/http_types.hpp"
#include "net/router.hpp"
#include "net/web_assets.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace caf {
class actor;
}

namespace comptoir::actors {
class stock_board;
}

namespace comptoir::net {

class api {
public:
  /// `frontend` is the actor that takes `actors::api_call`s; `timeout`
  /// bounds every request to the actors; pages of `cors_origins` may call the
  /// API from a browser; `metrics` answers `(get_atom, metrics_atom)` for
  /// /metrics (an invalid handle: /metrics is 503); `web` is the managers'
  /// page, served at / and /ui/{file} (null: no page, / is the JSON index);
  /// `stock` holds the stock views the node's store actors publish, read
  /// here without asking them (null: every read asks).
  api(const caf::actor& frontend, const caf::actor& metrics, authenticator tokens,
      std::chrono::milliseconds timeout, domain::basket_limits limits,
      std::vector<std::string> cors_origins = {},
      std::shared_ptr<const web_assets> web = nullptr,
      std::shared_ptr<const actors::stock_board> stock = nullptr);
  ~api();

  /// Answers `incoming` through `reply`, now or later, from any thread.
  void handle(request incoming, responder reply) const;

private:
  struct impl;
  std::shared_ptr<const impl> impl_;
};

} // namespace comptoir::net
