#pragma once
// Stock reads answered on the HTTP threads, without a trip through the actors.
//
// Each store actor of this node publishes the full stock view it rendered
// last. A read takes it while the store's ledger is still at the view's
// version and the node holds its ownership lease; otherwise it goes to the
// store actor as every other request does (which renders and publishes
// again). The store actor stays the only writer of its state: it publishes,
// withdraws, and moves the version, which its ledger mirrors here on every
// change before anything is acknowledged. A read that starts after a sale's
// 201 therefore never gets the stock from before the sale.

#include "actors/routing.hpp"
#include "domain/ids.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace comptoir::actors {

/// A location's full stock, rendered at `version` of its ledger.
struct stock_snapshot {
  std::string body;
  std::uint64_t version = 0;
};

class stock_board {
public:
  /// One store's published view. Written by the store actor that serves the
  /// store on this node; read from any thread.
  class slot {
  public:
    /// Where the store's ledger mirrors its version (`stock_ledger::mirror_version`).
    std::atomic<std::uint64_t>& version() noexcept { return version_; }
    void publish(std::shared_ptr<const stock_snapshot> view) { view_.store(std::move(view)); }
    void withdraw() { view_.store(nullptr); }
    /// Reads answered from the published view since the last call.
    std::uint64_t take_hits() noexcept { return hits_.exchange(0); }

    /// The published view if it is still the ledger's version, counted as a hit.
    std::shared_ptr<const stock_snapshot> current() {
      auto view = view_.load();
      if (!view || view->version != version_.load())
        return nullptr;
      hits_.fetch_add(1, std::memory_order_relaxed);
      return view;
    }

  private:
    std::atomic<std::shared_ptr<const stock_snapshot>> view_;
    std::atomic<std::uint64_t> version_{0};
    std::atomic<std::uint64_t> hits_{0};
  };

  /// One slot per store of the chain, fixed for the node's life.
  stock_board(const std::vector<domain::location_id>& stores,
              std::shared_ptr<const ownership_lease> lease)
      : lease_(std::move(lease)) {
    for (auto store : stores)
      slots_.emplace(store, std::make_unique<slot>());
  }

  /// The slot of a store of the chain; null for any other id.
  slot* find(domain::location_id store) const {
    auto found = slots_.find(store);
    return found == slots_.end() ? nullptr : found->second.get();
  }

  /// The current stock of `store` when this node may answer it without its
  /// store actor; null when the read must go to the actor (not served here,
  /// changed since it was rendered, or the lease lapsed).
  std::shared_ptr<const stock_snapshot> read(domain::location_id store) const {
    auto* published = find(store);
    if (!published || !lease_->held())
      return nullptr;
    return published->current();
  }

private:
  std::unordered_map<domain::location_id, std::unique_ptr<slot>> slots_;
  std::shared_ptr<const ownership_lease> lease_;
};

} // namespace comptoir::actors
