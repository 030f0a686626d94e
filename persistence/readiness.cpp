#include "persistence/readiness.hpp"

#include "persistence/migrations.hpp"

#include <pqxx/pqxx>

namespace ferry::persistence {

monitoring::readiness_probe
postgres_probe(pg_pool& pool, std::chrono::milliseconds acquire_timeout) {
  return {
      "postgresql", [&pool, acquire_timeout] {
        auto answer = pool.with_connection(
            "readiness",
            [](pqxx::connection& conn) {
              pqxx::nontransaction tx(conn);
              return tx.exec1("SELECT 1")[0].as<int>();
            },
            acquire_timeout);
        if (!answer)
          return monitoring::probe_result{false, db_error_text(answer.error())};
        return monitoring::probe_result{true, "ok"};
      }};
}

monitoring::readiness_probe migrations_probe(pg_pool& pool) {
  return {
      "migrations", [&pool] {
        auto status = check_migrations(pool);
        if (!status)
          return monitoring::probe_result{false, db_error_text(status.error())};
        if (!status->current())
          return monitoring::probe_result{
              false, std::to_string(status->pending.size()) +
                         " migration(s) pending; run `ferry migrate`"};
        return monitoring::probe_result{
            true, "at version " + std::to_string(status->current_version)};
      }};
}

monitoring::readiness_probe redis_probe(redis_client& redis) {
  return {
      "redis", [&redis] {
        auto pong = redis.ping();
        if (!pong)
          return monitoring::probe_result{false, db_error_text(pong.error())};
        return monitoring::probe_result{true, "ok"};
      }};
}

monitoring::readiness_probe optional_redis_probe(redis_client& redis) {
  return {"redis", [&redis] {
            auto pong = redis.ping();
            if (!pong)
              return monitoring::probe_result{
                  true, "degraded: " + db_error_text(pong.error()) +
                            "; prices are computed from PostgreSQL"};
            return monitoring::probe_result{true, "ok"};
          }};
}

} // namespace ferry::persistence
