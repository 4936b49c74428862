#include "actors/store_actor.hpp"

#include "actors/errors.hpp"
#include "actors/metrics_actor.hpp"
#include "actors/views.hpp"
#include "domain/basket.hpp"
#include "domain/timestamp.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace comptoir::actors {

namespace {

using self_pointer = store_actor::stateful_pointer<store_state>;
using clock = std::chrono::system_clock;

std::string scope_of(const store_state& state, bool is_sale) {
  return (is_sale ? "sale:" : "return:") + std::to_string(state.where.id.value);
}

std::string slot_of(const std::string& scope, const std::string& key) {
  return scope + '\n' + key;
}

void remember_key(store_state& state, const domain::idempotency_record& record) {
  auto slot = slot_of(record.scope, record.key);
  if (state.keys.emplace(slot, known_key{record.fingerprint, record.body, {}}).second)
    state.key_ages.emplace_back(record.created_at, slot);
}

/// The answer to a request whose key this store knows, or nothing for a new key.
std::optional<caf::result<rendered>> answer_known_key(self_pointer self, const std::string& slot,
                                                      const std::string& fingerprint) {
  auto& state = self->state;
  if (auto done = state.keys.find(slot); done != state.keys.end()) {
    if (done->second.fingerprint != fingerprint)
      return caf::result<rendered>{make_error(error_code::key_reused)};
    return caf::result<rendered>{rendered{done->second.body, 0}};
  }
  if (auto flying = state.in_flight_keys.find(slot); flying != state.in_flight_keys.end()) {
    if (flying->second.fingerprint != fingerprint)
      return caf::result<rendered>{make_error(error_code::key_reused)};
    // A retry while the first attempt is committing: it gets the same answer.
    auto promise = self->make_response_promise<rendered>();
    flying->second.waiting.push_back(promise);
    return caf::result<rendered>{promise};
  }
  return std::nullopt;
}

/// Answers a write and every retry that waited on its key.
void settle(store_state& state, pending_write& write, const caf::expected<rendered>& answer) {
  std::vector<caf::typed_response_promise<rendered>> waiting;
  if (!write.key_slot.empty()) {
    if (auto flying = state.in_flight_keys.find(write.key_slot);
        flying != state.in_flight_keys.end()) {
      waiting = std::move(flying->second.waiting);
      state.in_flight_keys.erase(flying);
    }
  }
  waiting.push_back(write.promise);
  for (auto& promise : waiting) {
    if (answer)
      promise.deliver(*answer);
    else
      promise.deliver(answer.error());
  }
}

void forget_pending_return(store_state& state, const pending_write& write) {
  const auto& record = write.taken_back.record;
  auto found = state.pending_returns.find(record.sale_id);
  if (found == state.pending_returns.end())
    return;
  std::erase_if(found->second, [&](const domain::sale_return& r) { return r.id == record.id; });
  if (found->second.empty())
    state.pending_returns.erase(found);
}

/// Puts back what a write took from the ledger or the pending returns.
void undo(store_state& state, const pending_write& write) {
  if (write.is_sale)
    state.ledger.release(write.stock_lines);
  else
    forget_pending_return(state, write);
}

const std::string& fingerprint_of(const pending_write& write) {
  return write.is_sale ? write.sale.key.fingerprint : write.taken_back.key.fingerprint;
}

void flush(self_pointer self);

void resync_after_failure(self_pointer self);

/// Answers every write still queued with 503, and `drained` once none is in flight.
void finish_draining(self_pointer self) {
  auto& state = self->state;
  if (!state.draining || state.committing)
    return;
  while (!state.queue.empty()) {
    auto& write = state.queue.front();
    undo(state, write);
    settle(state, write, make_error(error_code::unavailable, "store handed over"));
    state.queue.pop_front();
  }
  for (auto& promise : std::exchange(state.drained, {}))
    promise.deliver(true);
}

/// Stops publishing its stock view: reads go to the store (which refuses them
/// while handing over), and the next owner on this node publishes its own.
void withdraw_view(store_state& state) {
  if (!state.published)
    return;
  state.ledger.mirror_version(nullptr);
  state.published->withdraw();
  state.published = nullptr;
}

/// Refuses everything from now on and quits: the store lost its ownership.
void stop_serving(self_pointer self, const caf::error& reason) {
  auto& state = self->state;
  state.draining = true;
  withdraw_view(state);
  finish_draining(self);
  self->quit(reason);
}

/// Once a batch (or the reload after a failed one) is settled: the next
/// batch, or, when handing over, the end of the drain.
void carry_on(self_pointer self) {
  if (self->state.draining)
    finish_draining(self);
  else
    flush(self);
}

std::optional<caf::error> refusal(const store_state& state) {
  return serving_refusal(state.draining, *state.lease, "store");
}

/// Files a restock request for `product` up to the target level, through this
/// store's own writer (the logistics centre reads pending requests from the database).
void request_restock(self_pointer self, const domain::stock_item& item) {
  auto& state = self->state;
  auto wanted = state.settings.auto_restock_multiple * item.reorder_point - item.on_hand;
  if (wanted <= 0)
    return;
  auto now = clock::now();
  domain::restock_request request;
  request.id = state.ids.next(now);
  request.store = state.where.id;
  request.lines = {{item.product, wanted}};
  request.created_at = request.updated_at = domain::format_timestamp(now);
  spdlog::info("store {}: product {} below its reorder point: restock request {} for {} units",
               state.where.id.value, item.product.value, request.id, wanted);
  self->request(state.db, caf::infinite, restock_atom_v, std::move(request),
                domain::idempotency_record{})
      .then([](domain::idempotency_record&) {},
            [self](caf::error& err) {
              spdlog::error("store {}: filing a restock request failed: {}",
                            self->state.where.id.value, to_string(err));
            });
}

/// Raises and clears the alerts of `products` to match their stock levels,
/// in memory at once and in the database after.
/// At start (`before_serving`), the write is awaited: the store serves nothing
/// before the table matches, so a node that says it is ready has its alerts in
/// the database too.
void update_alerts(self_pointer self, const std::vector<domain::product_id>& products,
                   bool before_serving = false) {
  auto& state = self->state;
  auto now = clock::now();
  auto since = domain::format_timestamp(now);
  std::vector<domain::stock_alert> raised;
  std::vector<domain::stock_alert> cleared;
  for (auto product : products) {
    const auto& item = state.ledger.item(product);
    auto wanted = domain::alerts_for(item.on_hand, item.reorder_point);
    for (auto kind : {domain::alert_kind::low_stock, domain::alert_kind::out_of_stock}) {
      bool want = std::ranges::find(wanted, kind) != wanted.end();
      auto open = state.alerts.find({product, kind});
      if (want && open == state.alerts.end()) {
        domain::stock_alert alert{state.ids.next(now), state.where.id, product, kind, since};
        state.alerts.emplace(std::pair{product, kind}, alert);
        raised.push_back(alert);
        if (kind == domain::alert_kind::low_stock && state.settings.auto_restock)
          request_restock(self, item);
      } else if (!want && open != state.alerts.end()) {
        cleared.push_back(open->second);
        state.alerts.erase(open);
      }
    }
  }
  if (raised.empty() && cleared.empty())
    return;
  auto written = self->request(state.db, caf::infinite, alerts_atom_v, std::move(raised),
                               std::move(cleared), since);
  auto failed = [self](caf::error& err) {
    // Memory stays right; the next start reconciles the table with the stock.
    spdlog::error("store {}: recording alerts failed: {}", self->state.where.id.value,
                  to_string(err));
  };
  if (before_serving)
    written.await([](bool) {}, failed);
  else
    written.then([](bool) {}, failed);
}

/// Tells the head office that reports and dashboards computed before are stale.
void notify_change(store_state& state) {
  for (const auto& subscriber : state.subscribers)
    caf::anon_send(subscriber, invalidate_atom_v);
}

std::vector<domain::product_id> products_of(const std::vector<domain::basket_line>& lines) {
  std::vector<domain::product_id> products;
  for (const auto& line : lines)
    products.push_back(line.product);
  return products;
}

void committed(self_pointer self, std::vector<pending_write>& writes,
               const domain::batch_result& result) {
  auto& state = self->state;
  std::size_t next_sale = 0;
  std::size_t next_return = 0;
  std::vector<domain::product_id> moved;
  for (auto& write : writes) {
    const auto& taken =
        write.is_sale ? result.sales.at(next_sale++) : result.returns.at(next_return++);
    if (taken) {
      // Another writer holds this key already: nothing of this write was committed.
      undo(state, write);
      remember_key(state, *taken);
      if (taken->fingerprint == fingerprint_of(write))
        settle(state, write, rendered{taken->body, 0});
      else
        settle(state, write, make_error(error_code::key_reused));
      continue;
    }
    for (const auto& line : write.stock_lines)
      moved.push_back(line.product);
    if (write.is_sale) {
      state.ledger.commit_sale(write.stock_lines);
      state.sales.add_sale(write.sale.sale);
      ++state.stats.sales;
      state.stats.revenue_cents += write.sale.sale.total_cents;
    } else {
      state.ledger.commit_return(write.stock_lines);
      state.sales.add_return(write.taken_back.record, write.sold_lines);
      forget_pending_return(state, write);
      ++state.stats.returns;
      state.stats.refund_cents += write.taken_back.record.refund_cents;
    }
    if (!write.key_slot.empty())
      remember_key(state, write.is_sale ? write.sale.key : write.taken_back.key);
    settle(state, write, rendered{write.body, state.ledger.version()});
  }
  std::ranges::sort(moved);
  moved.erase(std::unique(moved.begin(), moved.end()), moved.end());
  update_alerts(self, moved);
  // Before the clients hear of their commits: a report they ask for next
  // cannot be served from before them.
  if (!moved.empty())
    notify_change(state);
  state.committing = false;
  carry_on(self);
}

void failed(self_pointer self, std::vector<pending_write>& writes, const caf::error& err) {
  auto& state = self->state;
  spdlog::error("store {}: a batch of {} writes was not committed: {}", state.where.id.value,
                writes.size(), to_string(err));
  for (auto& write : writes) {
    undo(state, write);
    settle(state, write, make_error(error_code::unavailable, "commit failed"));
  }
  if (err.category() == error_category &&
      err.code() == static_cast<std::uint8_t>(error_code::fenced)) {
    // Another node owns the store now: it serves from the database, where
    // nothing of this batch is.
    stop_serving(self, err);
    return;
  }
  // The transaction may have committed after all (a connection lost during
  // COMMIT): the database, not memory, says what the stock is now.
  resync_after_failure(self);
}

/// One transaction answered (committed or not), `started` when it was sent.
void record_commit(store_state& state, std::size_t writes,
                   std::chrono::steady_clock::time_point started) {
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  state.stats.batch_sizes.observe(batch_size_bounds, static_cast<double>(writes));
  state.stats.commit_seconds.observe(commit_duration_bounds, took.count());
}

/// Sends the oldest accepted writes, up to max_batch, in one transaction.
void flush(self_pointer self) {
  auto& state = self->state;
  if (state.committing || state.queue.empty())
    return;
  auto count = std::min(state.queue.size(), state.settings.max_batch);
  auto writes = std::make_shared<std::vector<pending_write>>();
  writes->reserve(count);
  domain::commit_batch batch;
  batch.store = state.where.id;
  for (std::size_t i = 0; i < count; ++i) {
    auto& write = state.queue.front();
    if (write.is_sale)
      batch.sales.push_back(write.sale);
    else
      batch.returns.push_back(write.taken_back);
    writes->push_back(std::move(write));
    state.queue.pop_front();
  }
  state.committing = true;
  auto started = std::chrono::steady_clock::now();
  // No timeout: answering before the database has would risk a commit that
  // lands after the client was told it failed.
  self->request(state.db, caf::infinite, commit_atom_v, std::move(batch))
      .then(
          [self, writes, started](domain::batch_result& result) {
            record_commit(self->state, writes->size(), started);
            committed(self, *writes, result);
          },
          [self, writes, started](caf::error& err) {
            record_commit(self->state, writes->size(), started);
            failed(self, *writes, err);
          });
}

void resync_after_failure(self_pointer self) {
  auto& state = self->state;
  self->request(state.db, caf::infinite, load_atom_v, stock_atom_v, state.where.id)
      .then(
          [self](std::vector<domain::stock_item>& items) {
            auto& state = self->state;
            state.ledger.reload(std::move(items));
            // Writes accepted meanwhile reserve again, from the true stock.
            std::deque<pending_write> accepted;
            std::swap(accepted, state.queue);
            for (auto& write : accepted) {
              if (write.is_sale && !state.ledger.reserve(write.stock_lines).empty()) {
                undo(state, write);
                settle(state, write, make_error(error_code::unavailable, "stock changed"));
                continue;
              }
              state.queue.push_back(std::move(write));
            }
            state.committing = false;
            carry_on(self);
          },
          [self](caf::error& err) {
            spdlog::critical("store {}: cannot reload its stock after a failed commit: {}",
                             self->state.where.id.value, to_string(err));
            self->quit(err);
          });
}

caf::result<rendered> sell(self_pointer self, sale_request& request) {
  auto& state = self->state;
  if (auto refused = refusal(state))
    return std::move(*refused);
  std::string slot;
  if (!request.idempotency_key.empty()) {
    slot = slot_of(scope_of(state, true), request.idempotency_key);
    if (auto known = answer_known_key(self, slot, request.fingerprint))
      return std::move(*known);
  }
  // Prices and stock lines come and go together (load, and the catalogue's put).
  auto unknown =
      domain::lines_not_held(state.ledger, request.lines, "no such product in this store");
  if (!unknown.empty())
    return make_error(error_code::invalid, render_field_problems(unknown));
  if (auto short_lines = state.ledger.reserve(request.lines); !short_lines.empty())
    return make_error(error_code::insufficient, render_shortages(short_lines));

  auto now = clock::now();
  pending_write write;
  auto& sold = write.sale.sale;
  sold.id = state.ids.next(now);
  sold.store = state.where.id;
  sold.created_at = domain::format_timestamp(now);
  for (const auto& line : request.lines)
    sold.lines.push_back({line.product, line.quantity, state.prices.at(line.product)});
  sold.total_cents = domain::total_cents(sold.lines);
  write.body = render_sale(sold);
  if (!slot.empty()) {
    write.sale.key = {
        scope_of(state, true), request.idempotency_key, request.fingerprint, 201, write.body,
        sold.created_at};
    write.key_slot = slot;
    state.in_flight_keys.emplace(slot, known_key{request.fingerprint, {}, {}});
  }
  write.stock_lines = std::move(request.lines);
  write.promise = self->make_response_promise<rendered>();
  auto promise = write.promise;
  state.queue.push_back(std::move(write));
  flush(self);
  return promise;
}

void accept_return(self_pointer self, return_request& request, domain::sale_record& record,
                   pending_write write) {
  auto& state = self->state;
  auto refuse = [&](caf::error err) { settle(state, write, err); };
  if (record.sale.store != state.where.id)
    return refuse(make_error(error_code::not_found));
  auto& pending = state.pending_returns[request.sale_id];
  domain::returnable left{record, pending};
  if (auto too_many = left.check(request.lines); !too_many.empty()) {
    if (pending.empty())
      state.pending_returns.erase(request.sale_id);
    return refuse(make_error(error_code::insufficient, render_shortages(too_many)));
  }
  auto now = clock::now();
  auto& taken_back = write.taken_back.record;
  taken_back.id = state.ids.next(now);
  taken_back.sale_id = request.sale_id;
  taken_back.store = state.where.id;
  taken_back.lines = request.lines;
  taken_back.refund_cents = left.refund_cents(request.lines);
  taken_back.created_at = domain::format_timestamp(now);
  write.taken_back.sale_status_after = left.status_after(request.lines);
  write.sold_lines = record.sale.lines;
  write.body = render_return(taken_back);
  if (!write.key_slot.empty())
    write.taken_back.key = {
        scope_of(state, false), request.idempotency_key, request.fingerprint, 201, write.body,
        taken_back.created_at};
  write.stock_lines = std::move(request.lines);
  pending.push_back(taken_back);
  state.queue.push_back(std::move(write));
  flush(self);
}

caf::result<rendered> take_back(self_pointer self, return_request& request) {
  auto& state = self->state;
  if (auto refused = refusal(state))
    return std::move(*refused);
  pending_write write;
  write.is_sale = false;
  if (!request.idempotency_key.empty()) {
    write.key_slot = slot_of(scope_of(state, false), request.idempotency_key);
    if (auto known = answer_known_key(self, write.key_slot, request.fingerprint))
      return std::move(*known);
    // Claimed now: a retry arriving while the sale loads waits for this answer.
    state.in_flight_keys.emplace(write.key_slot, known_key{request.fingerprint, {}, {}});
  }
  write.promise = self->make_response_promise<rendered>();
  auto promise = write.promise;
  // Read through this store's own writer: it sees every return committed so far.
  self->request(state.db, caf::infinite, load_atom_v, sale_atom_v, request.sale_id)
      .then(
          [self, request, write](domain::sale_record& record) mutable {
            accept_return(self, request, record, std::move(write));
          },
          [self, write](caf::error& err) mutable { settle(self->state, write, err); });
  return promise;
}

void purge_keys(self_pointer self) {
  auto& state = self->state;
  auto cutoff = domain::format_timestamp(clock::now() - state.settings.key_retention);
  while (!state.key_ages.empty() && state.key_ages.front().first < cutoff) {
    state.keys.erase(state.key_ages.front().second);
    state.key_ages.pop_front();
  }
  // Every store purges all scopes; a few redundant deletes are cheap.
  self->request(state.db, caf::infinite, purge_atom_v, cutoff)
      .then([](std::int64_t) {},
            [self](caf::error& err) {
              spdlog::warn("store {}: purging old idempotency keys failed: {}",
                           self->state.where.id.value, to_string(err));
            });
}

/// Sends the metrics actor what happened since the last flush.
void report(self_pointer self) {
  auto& state = self->state;
  auto stats = std::exchange(state.stats, store_stats{});
  stats.store = state.where.id;
  stats.mailbox = self->mailbox().size();
  stats.stock_view = stock_view_delta(state.rendered_stock, state.flushed_view);
  if (state.published)
    stats.stock_view.hits += state.published->take_hits();
  stats.open_alerts = {{domain::alert_kind::low_stock, 0}, {domain::alert_kind::out_of_stock, 0}};
  for (const auto& [key, alert] : state.alerts)
    ++stats.open_alerts[key.second];
  self->send(state.metrics.sink, std::move(stats));
}

} // namespace

store_actor::behavior_type store(store_actor::stateful_pointer<store_state> self, database_actor db,
                                 domain::location where, store_settings settings,
                                 std::shared_ptr<const ownership_lease> lease, metrics_link metrics,
                                 std::shared_ptr<stock_board> board) {
  auto& state = self->state;
  state.where = std::move(where);
  state.db = db;
  state.settings = settings;
  state.lease = std::move(lease);
  state.metrics = std::move(metrics);
  if (board) {
    // A view left by an earlier owner on this node is not this one's.
    state.published = board->find(state.where.id);
    if (state.published)
      state.published->withdraw();
    // However this actor ends, reads stop taking its view.
    self->attach_functor([board, id = state.where.id] {
      if (auto* slot = board->find(id))
        slot->withdraw();
    });
  }
  auto fail_start = [self](const caf::error& err) {
    spdlog::error("store {}: cannot load its state: {}", self->state.where.id.value,
                  to_string(err));
    self->quit(err);
  };
  // await: nothing is served before the stock, prices, keys and alerts are in
  // memory. Awaited responses are handled last-requested first, so what needs
  // the ledger is requested once the ledger is there.
  auto since = domain::format_timestamp(clock::now() - settings.key_retention);
  self->request(db, caf::infinite, load_atom_v, prices_atom_v, state.where.id)
      .await(
          [self, since, fail_start](std::vector<domain::stock_item>& items,
                                    std::vector<std::int64_t>& prices) {
            auto& state = self->state;
            std::vector<std::pair<domain::product_id, std::int64_t>> priced;
            priced.reserve(items.size());
            for (std::size_t i = 0; i < items.size(); ++i)
              priced.emplace_back(items[i].product, prices[i]);
            state.prices = {priced.begin(), priced.end()};
            state.prices.shrink_to_fit();
            state.ledger.reload(std::move(items));
            if (state.published)
              state.ledger.mirror_version(&state.published->version());
            self->request(state.db, caf::infinite, load_atom_v, keys_atom_v,
                          std::vector<std::string>{scope_of(state, true), scope_of(state, false)},
                          since)
                .await(
                    [self](std::vector<domain::idempotency_record>& records) {
                      std::ranges::sort(records, {}, &domain::idempotency_record::created_at);
                      for (const auto& record : records)
                        remember_key(self->state, record);
                    },
                    fail_start);
            self->request(state.db, caf::infinite, load_atom_v, report_atom_v, state.where.id)
                .await(
                    [self](domain::sales_aggregate& sales) {
                      self->state.sales = std::move(sales);
                    },
                    fail_start);
            // Alerts left open or missing by a crash are put right against the stock.
            self->request(state.db, caf::infinite, load_atom_v, alerts_atom_v, state.where.id)
                .await(
                    [self](std::vector<domain::stock_alert>& open) {
                      auto& state = self->state;
                      std::vector<domain::product_id> products;
                      for (auto& alert : open)
                        if (state.ledger.holds(alert.product))
                          state.alerts.emplace(std::pair{alert.product, alert.kind},
                                               std::move(alert));
                      for (const auto& item : state.ledger.items())
                        products.push_back(item.product);
                      update_alerts(self, products, true);
                    },
                    fail_start);
          },
          fail_start);
  self->delayed_send(self, std::chrono::hours{1}, purge_atom_v);
  start_flushing(self, state.metrics.every);
  return {
      [self](caf::get_atom, stock_atom, bool below_reorder_only) -> caf::result<rendered> {
        auto& state = self->state;
        if (auto refused = refusal(state))
          return std::move(*refused);
        if (below_reorder_only)
          return read_stock(state.rendered_stock, state.where, state.ledger, true);
        const auto& view = state.rendered_stock.of(state.where, state.ledger);
        // The next reads of this version are answered without this actor.
        if (state.published)
          state.published->publish(view);
        return rendered{view->body, view->version};
      },
      [self](fulfil_atom, const std::string& id,
             const std::vector<domain::basket_line>& lines) -> caf::result<bool> {
        auto& state = self->state;
        if (auto refused = refusal(state))
          return std::move(*refused);
        auto unknown = domain::lines_not_held(state.ledger, lines,
                                              "this store has no stock line for this product");
        if (!unknown.empty())
          return make_error(error_code::invalid, render_field_problems(unknown));
        auto promise = self->make_response_promise<bool>();
        auto now = domain::format_timestamp(clock::now());
        self->request(state.db, caf::infinite, fulfil_atom_v, id, state.where.id, lines, now)
            .then(
                [self, lines, promise](bool applied) mutable {
                  // Not applied: an earlier attempt landed it, and the ledger
                  // (in memory or loaded at start) has it already.
                  if (applied) {
                    self->state.ledger.commit_return(lines);
                    update_alerts(self, products_of(lines));
                    notify_change(self->state);
                  }
                  promise.deliver(true);
                },
                [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [self](caf::put_atom, domain::product_id product, std::int64_t price_cents) {
        // The catalogue's word: from now on this store sells at this price.
        auto& state = self->state;
        state.prices.insert_or_assign(product, price_cents);
        state.ledger.add_product(product);
        notify_change(state);
        return true;
      },
      [self](report_atom, const std::string& from_day, const std::string& to_day,
             const std::vector<std::string>& weeks,
             std::int64_t overstock_multiple) -> caf::result<domain::store_summary> {
        auto& state = self->state;
        if (auto refused = refusal(state))
          return std::move(*refused);
        return domain::summarize(state.where.id, state.sales, state.ledger, from_day, to_day, weeks,
                                 overstock_multiple);
      },
      [self](subscribe_atom, caf::actor& subscriber) {
        auto& subscribers = self->state.subscribers;
        // A peer's head office subscribes again whenever its node reconnects.
        if (std::ranges::find(subscribers, subscriber) == subscribers.end())
          subscribers.push_back(std::move(subscriber));
      },
      [self](drain_atom) -> caf::result<bool> {
        auto& state = self->state;
        state.draining = true;
        withdraw_view(state);
        auto promise = self->make_response_promise<bool>();
        state.drained.push_back(promise);
        finish_draining(self);
        return promise;
      },
      [self](alerts_atom) -> caf::result<std::vector<domain::stock_alert>> {
        if (auto refused = refusal(self->state))
          return std::move(*refused);
        std::vector<domain::stock_alert> open;
        for (const auto& [key, alert] : self->state.alerts)
          open.push_back(alert);
        return open;
      },
      [self](reorder_atom, domain::product_id product,
             std::int64_t reorder_point) -> caf::result<rendered> {
        auto& state = self->state;
        if (auto refused = refusal(state))
          return std::move(*refused);
        if (!state.ledger.holds(product))
          return make_error(error_code::not_found);
        auto promise = self->make_response_promise<rendered>();
        self->request(state.db, caf::infinite, reorder_atom_v, state.where.id, product,
                      reorder_point)
            .then(
                [self, product, reorder_point, promise](bool) mutable {
                  auto& state = self->state;
                  state.ledger.set_reorder_point(product, reorder_point);
                  update_alerts(self, {product});
                  notify_change(state);
                  promise.deliver(rendered{render_stock_item(state.ledger.item(product)), 0});
                },
                [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [](ready_atom) { return true; },
      [self](sell_atom, sale_request& request) { return sell(self, request); },
      [self](return_atom, return_request& request) { return take_back(self, request); },
      [self](purge_atom) {
        purge_keys(self);
        self->delayed_send(self, std::chrono::hours{1}, purge_atom_v);
      },
      [self](caf::tick_atom) {
        report(self);
        schedule_flush(self, self->state.metrics.every);
      },
  };
}

} // namespace comptoir::actors
