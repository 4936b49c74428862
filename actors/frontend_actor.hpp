#pragma once
// The bridge from the HTTP threads into the actor system.

#include "actors/protocol.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/behavior.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <utility>

namespace comptoir::actors {

/// The frontend's requests in flight and their deadlines, oldest first.
///
/// The frontend asks without a CAF timeout and lets one sweep, every
/// `sweep_interval`, answer what is past due: CAF 0.17's timer thread wakes
/// up for every timeout set and every one cancelled, two context switches per
/// request under load (measured in docs/benchmarks.md). Every call happens on
/// the frontend's thread.
class request_deadlines {
public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds sweep_interval{100};

  /// A request in flight: the first of its answer and its expiry wins.
  class ticket {
  public:
    /// True once: the caller answers; false when answered or expired already.
    /// Drops the expiry, and with it what it holds (the HTTP session's
    /// responder), at once rather than when the entry leaves the queue.
    bool claim() {
      if (state_->done)
        return false;
      state_->done = true;
      state_->expire = nullptr;
      return true;
    }

  private:
    friend class request_deadlines;
    struct shared_state {
      bool done = false;
      std::function<void()> expire;
    };
    std::shared_ptr<shared_state> state_ = std::make_shared<shared_state>();
  };

  /// `expire` runs at the first sweep after `deadline` unless the ticket was
  /// claimed first. Deadlines are expected in order (one timeout per node):
  /// a later one queued before an earlier one delays it at most by their gap.
  ticket add(clock::time_point deadline, std::function<void()> expire) {
    // Answered requests leave from the front, so the queue holds about what
    // is in flight rather than every request of the last timeout period.
    drop_answered();
    ticket made;
    made.state_->expire = std::move(expire);
    pending_.push_back({deadline, made.state_});
    return made;
  }

  void sweep(clock::time_point now) {
    while (!pending_.empty() &&
           (pending_.front().state->done || pending_.front().deadline <= now)) {
      auto due = std::move(pending_.front().state);
      pending_.pop_front();
      if (!due->done) {
        due->done = true;
        auto expire = std::move(due->expire);
        expire();
      }
    }
  }

  std::size_t size() const { return pending_.size(); }

private:
  struct entry {
    clock::time_point deadline;
    std::shared_ptr<ticket::shared_state> state;
  };

  void drop_answered() {
    while (!pending_.empty() && pending_.front().state->done)
      pending_.pop_front();
  }

  std::deque<entry> pending_;
};

/// A request from an HTTP session: `run` issues it to the worker pool from
/// inside the frontend, registers its deadline, and hands the answer (or the
/// timeout) to the session's callback. Local only: it carries a closure, so it
/// never crosses nodes.
struct api_call {
  std::function<void(caf::event_based_actor* self, const worker_actor& workers,
                     request_deadlines& deadlines)>
      run;
};

/// One long-lived actor: HTTP threads enqueue `api_call`s without blocking.
/// Sends its mailbox depth to `metrics` every flush interval.
caf::behavior frontend(caf::event_based_actor* self, worker_actor workers, metrics_link metrics);

} // namespace comptoir::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(comptoir::actors::api_call)
