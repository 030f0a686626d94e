#pragma once

#include "monitoring/ops_server.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/redis_client.hpp"

/// The readiness probes persistence offers to the ops server's /readyz.
/// Each is bounded by the pool's and the client's time-outs.
namespace ferry::persistence {

/// "postgresql": a pooled connection answers `SELECT 1` (waits at most
/// `acquire_timeout` for a free connection).
monitoring::readiness_probe
postgres_probe(pg_pool& pool, std::chrono::milliseconds acquire_timeout =
                                  std::chrono::milliseconds(1000));

/// "migrations": every embedded migration is recorded in the database.
monitoring::readiness_probe migrations_probe(pg_pool& pool);

/// "redis": PING answers PONG.
monitoring::readiness_probe redis_probe(redis_client& redis);

/// "redis" for a node that works on without Redis (prices then come from
/// PostgreSQL, slower but correct): always ready, the detail says whether
/// Redis answers, so that a Redis outage does not take every node out of
/// the load balancer at once.
monitoring::readiness_probe optional_redis_probe(redis_client& redis);

} // namespace ferry::persistence
