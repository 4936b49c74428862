#include "actors/database_actor.hpp"

#include "actors/errors.hpp"
#include "persistence/aggregate_repository.hpp"
#include "persistence/alert_repository.hpp"
#include "persistence/catalogue_repository.hpp"
#include "persistence/restock_repository.hpp"
#include "persistence/sale_repository.hpp"
#include "persistence/session.hpp"
#include "persistence/stock_repository.hpp"

#include <caf/all.hpp>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

namespace comptoir::actors {

namespace {

/// Counts its session as busy while it lives.
class busy_while {
public:
  explicit busy_while(const busy_sessions& busy) : busy_{busy.get()} {
    if (busy_ != nullptr)
      busy_->fetch_add(1, std::memory_order_relaxed);
  }
  ~busy_while() {
    if (busy_ != nullptr)
      busy_->fetch_sub(1, std::memory_order_relaxed);
  }
  busy_while(const busy_while&) = delete;
  busy_while& operator=(const busy_while&) = delete;

private:
  std::atomic<std::int64_t>* busy_;
};

/// Runs `work` on the session; a lost fence becomes `fenced` and any other
/// database failure `unavailable`, instead of an exception that would kill the actor.
template <class Work>
auto attempt(database_state& state, const char* what, Work work)
    -> caf::expected<decltype(work(*state.session))> {
  busy_while in_use{state.busy};
  try {
    return work(*state.session);
  } catch (const persistence::fenced_error& e) {
    spdlog::warn("database: {} fenced: {}", what, e.what());
    return make_error(error_code::fenced, what);
  } catch (const std::exception& e) {
    spdlog::error("database: {} failed: {}", what, e.what());
    return make_error(error_code::unavailable, what);
  }
}

/// `found` or not_found, for look-ups that may find nothing.
template <class T> caf::result<T> found_or_not_found(caf::expected<std::optional<T>> found) {
  if (!found)
    return std::move(found.error());
  if (!*found)
    return make_error(error_code::not_found);
  return std::move(**found);
}

/// A fenced session's settings, after every (re)connect: a transaction left
/// idle holds the fence row FOR SHARE, so the server ends it after 2 s.
void configure(database_state& state) {
  if (state.fence && state.kind == persistence::dialect::postgresql)
    *state.session << "SET idle_in_transaction_session_timeout = '2s'";
}

} // namespace

database_state::database_state() = default;
database_state::~database_state() = default;

database_actor::behavior_type database(database_actor::stateful_pointer<database_state> self,
                                       persistence::database_url url, busy_sessions busy,
                                       std::optional<persistence::write_fence> fence) {
  self->state.kind = url.kind;
  self->state.busy = std::move(busy);
  self->state.fence = std::move(fence);
  try {
    self->state.session = persistence::open_session(url);
    configure(self->state);
  } catch (const std::exception& e) {
    spdlog::error("database: cannot open a session: {}", e.what());
    // No message is handled after quit; the behaviour below only completes the type.
    self->quit(make_error(error_code::unavailable, "cannot open a database session"));
  }
  // The state outlives every repository that points at its fence.
  auto fence_of = [self]() -> const persistence::write_fence* {
    auto& state = self->state;
    return state.fence ? &*state.fence : nullptr;
  };
  auto sales = [self, fence_of](soci::session& db) -> persistence::sale_repository& {
    auto& state = self->state;
    if (!state.sales)
      state.sales = std::make_unique<persistence::sale_repository>(db, state.kind, fence_of());
    return *state.sales;
  };
  auto restocks = [self, fence_of](soci::session& db) {
    return persistence::restock_repository{db, self->state.kind, fence_of()};
  };
  auto alerts = [self, fence_of](soci::session& db) {
    return persistence::alert_repository{db, self->state.kind, fence_of()};
  };
  return {
      [self](load_atom, products_atom) {
        return attempt(self->state, "loading the catalogue", [](soci::session& db) {
          return persistence::catalogue_repository{db}.load_all();
        });
      },
      [self](load_atom, stock_atom, domain::location_id where) {
        return attempt(self->state, "loading stock", [where](soci::session& db) {
          return persistence::stock_repository{db}.load(where);
        });
      },
      [self](load_atom, prices_atom, domain::location_id where)
          -> caf::result<std::vector<domain::stock_item>, std::vector<std::int64_t>> {
        auto rows = attempt(self->state, "loading priced stock", [where](soci::session& db) {
          return persistence::stock_repository{db}.load_with_prices(where);
        });
        if (!rows)
          return std::move(rows.error());
        std::vector<domain::stock_item> items;
        std::vector<std::int64_t> prices;
        for (const auto& row : *rows) {
          items.push_back(row.item);
          prices.push_back(row.price_cents);
        }
        return {std::move(items), std::move(prices)};
      },
      [self, sales](load_atom, keys_atom, const std::vector<std::string>& scopes,
                    const std::string& since) {
        return attempt(self->state, "loading idempotency keys",
                       [&](soci::session& db) { return sales(db).load_keys(scopes, since); });
      },
      [self, sales](commit_atom, const domain::commit_batch& batch) {
        return attempt(self->state, "committing a batch",
                       [&](soci::session& db) { return sales(db).commit(batch); });
      },
      [self, sales](purge_atom, const std::string& before) {
        return attempt(self->state, "purging idempotency keys",
                       [&](soci::session& db) { return sales(db).purge_keys(before); });
      },
      [self, sales](locate_atom, const std::string& sale_id) {
        return found_or_not_found(attempt(self->state, "locating a sale", [&](soci::session& db) {
          return sales(db).locate_sale(sale_id);
        }));
      },
      [self, sales](load_atom, sale_atom, const std::string& sale_id) {
        return found_or_not_found(attempt(self->state, "loading a sale", [&](soci::session& db) {
          return sales(db).load_sale(sale_id);
        }));
      },
      [self, sales](list_atom, const domain::sales_query& query) {
        return attempt(self->state, "listing sales",
                       [&](soci::session& db) { return sales(db).list_sales(query); });
      },
      [self, restocks](restock_atom, const domain::restock_request& request,
                       const domain::idempotency_record& key) {
        return attempt(self->state, "creating a restock request", [&](soci::session& db) {
          return restocks(db).create(request, key).value_or(domain::idempotency_record{});
        });
      },
      [self, restocks](load_atom, restock_atom, const std::string& id) {
        return found_or_not_found(
            attempt(self->state, "loading a restock request",
                    [&](soci::session& db) { return restocks(db).load(id); }));
      },
      [self, restocks](load_atom, restock_atom) {
        return attempt(self->state, "loading open restock requests",
                       [&](soci::session& db) { return restocks(db).load_open(); });
      },
      [self, restocks](list_atom, const domain::restock_query& query) {
        return attempt(self->state, "listing restock requests",
                       [&](soci::session& db) { return restocks(db).list(query); });
      },
      [self, restocks](approve_atom, const std::string& id, domain::location_id warehouse,
                       const std::vector<domain::basket_line>& lines, const std::string& now,
                       const domain::idempotency_record& key) {
        return attempt(self->state, "approving a restock request", [&](soci::session& db) {
          restocks(db).approve(id, warehouse, lines, now, key);
          return true;
        });
      },
      [self, restocks](reject_atom, const std::string& id, const std::string& now) {
        return attempt(self->state, "rejecting a restock request", [&](soci::session& db) {
          restocks(db).reject(id, now);
          return true;
        });
      },
      [self, restocks](fulfil_atom, const std::string& id, domain::location_id store,
                       const std::vector<domain::basket_line>& lines, const std::string& now) {
        return attempt(self->state, "fulfilling a restock request", [&](soci::session& db) {
          return restocks(db).fulfil(id, store, lines, now);
        });
      },
      [self, alerts](load_atom, alerts_atom, domain::location_id store) {
        return attempt(self->state, "loading alerts",
                       [&](soci::session& db) { return alerts(db).load_open(store); });
      },
      [self, alerts](alerts_atom, const std::vector<domain::stock_alert>& raised,
                     const std::vector<domain::stock_alert>& cleared, const std::string& now) {
        return attempt(self->state, "recording alerts", [&](soci::session& db) {
          alerts(db).apply(raised, cleared, now);
          return true;
        });
      },
      [self, fence_of](reorder_atom, domain::location_id where, domain::product_id product,
                       std::int64_t reorder_point) {
        return attempt(self->state, "setting a reorder point", [&](soci::session& db) {
          persistence::stock_repository{db, fence_of()}.set_reorder_point(where, product,
                                                                          reorder_point);
          return true;
        });
      },
      [self](caf::put_atom, const domain::product& item, const std::string& now) {
        return attempt(self->state, "creating a product", [&](soci::session& db) {
          return persistence::catalogue_repository{db}.create(item, now);
        });
      },
      [self](patch_atom, const domain::product& item, const std::string& now) {
        return attempt(self->state, "changing a product", [&](soci::session& db) {
          persistence::catalogue_repository{db}.update(item, now);
          return true;
        });
      },
      [self](load_atom, report_atom, domain::location_id store) {
        return attempt(self->state, "rebuilding sales aggregates", [&](soci::session& db) {
          return persistence::aggregate_repository{db}.load(store);
        });
      },
      [self](ping_atom) -> bool {
        busy_while in_use{self->state.busy};
        auto& db = *self->state.session;
        if (persistence::ping(db))
          return true;
        // The server may have restarted: one reconnect, then report.
        try {
          db.reconnect();
          configure(self->state);
        } catch (const std::exception& e) {
          spdlog::warn("database: reconnect failed: {}", e.what());
          return false;
        }
        return persistence::ping(db);
      },
  };
}

} // namespace comptoir::actors
