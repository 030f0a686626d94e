// The Redis client against the shared Redis (keys under a prefix of the
// test's own).
#include "persistence/redis_client.hpp"
#include "tests/support/test_env.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace ferry::persistence;
using namespace std::chrono_literals;

namespace {

class redis : public ::testing::Test {
protected:
  redis_options options() const {
    redis_options o;
    o.host = ferry::test::redis_host();
    o.port = ferry::test::redis_port();
    o.timeout = 1000ms;
    return o;
  }
  std::string key(const std::string& name) const {
    return "test:redis_client:" + std::to_string(::getpid()) + ":" + name;
  }
  void TearDown() override {
    redis_client cleanup(options());
    for (auto k : {"str", "bin", "num", "list", "bucket"})
      (void)cleanup.command({"DEL", key(k)});
  }
};

} // namespace

TEST_F(redis, commands_return_typed_replies) {
  redis_client client(options());
  EXPECT_FALSE(client.connected()) << "connects on first use";
  ASSERT_TRUE(client.ping());
  EXPECT_TRUE(client.connected());

  auto set = client.command({"SET", key("str"), "hello", "PX", "60000"});
  ASSERT_TRUE(set) << db_error_text(set.error());
  EXPECT_EQ(set->type, redis_reply::kind::status);
  EXPECT_EQ(set->text, "OK");

  auto get = client.command({"GET", key("str")});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->type, redis_reply::kind::string);
  EXPECT_EQ(get->text, "hello");

  std::string binary("a\0b\r\nc", 6);
  ASSERT_TRUE(client.command({"SET", key("bin"), binary}));
  auto bin = client.command({"GET", key("bin")});
  ASSERT_TRUE(bin);
  EXPECT_EQ(bin->text, binary) << "arguments and replies are binary-safe";

  auto missing = client.command({"GET", key("missing")});
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->is_nil());

  auto incr = client.command({"INCRBY", key("num"), "41"});
  ASSERT_TRUE(incr);
  EXPECT_EQ(incr->type, redis_reply::kind::integer);
  EXPECT_EQ(incr->integer, 41);

  ASSERT_TRUE(client.command({"RPUSH", key("list"), "x", "y"}));
  auto range = client.command({"LRANGE", key("list"), "0", "-1"});
  ASSERT_TRUE(range);
  ASSERT_EQ(range->type, redis_reply::kind::array);
  ASSERT_EQ(range->elements.size(), 2u);
  EXPECT_EQ(range->elements[1].text, "y");
}

TEST_F(redis, redis_errors_are_rejected_with_redis_text) {
  redis_client client(options());
  ASSERT_TRUE(client.command({"SET", key("str"), "x"}));
  auto wrong = client.command({"LPUSH", key("str"), "y"});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(db_error_code(wrong.error()), db_errc::rejected);
  EXPECT_NE(db_error_text(wrong.error()).find("WRONGTYPE"), std::string::npos);
  EXPECT_TRUE(client.connected()) << "an error reply keeps the connection";
  auto empty = client.command({});
  ASSERT_FALSE(empty);
  EXPECT_NE(db_error_text(empty.error()).find("empty command"),
            std::string::npos);
}

TEST_F(redis, lua_scripts_run_by_eval_and_sha) {
  redis_client client(options());
  // A small token bucket of the kind the shop rate limit will use.
  const std::string bucket = R"(
    local left = redis.call('DECR', KEYS[1])
    if left < 0 then
      redis.call('SET', KEYS[1], ARGV[1])
      return {0, tonumber(ARGV[1])}
    end
    return {1, left})";
  auto first = client.eval(bucket, {key("bucket")}, {"3"});
  ASSERT_TRUE(first) << db_error_text(first.error());
  ASSERT_EQ(first->elements.size(), 2u);
  EXPECT_EQ(first->elements[0].integer, 0);

  auto sha = client.script_load(bucket);
  ASSERT_TRUE(sha);
  EXPECT_EQ(sha->size(), 40u);
  auto second = client.evalsha(*sha, {key("bucket")}, {"3"});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->elements[0].integer, 1);
  EXPECT_EQ(second->elements[1].integer, 2);

  auto unknown = client.evalsha(std::string(40, '0'), {}, {});
  ASSERT_FALSE(unknown);
  EXPECT_NE(db_error_text(unknown.error()).find("NOSCRIPT"), std::string::npos);

  auto lua_error = client.eval("return redis.call('NOPE')", {}, {});
  ASSERT_FALSE(lua_error);
  EXPECT_EQ(db_error_code(lua_error.error()), db_errc::rejected);
}

TEST_F(redis, run_script_loads_once_and_then_uses_the_sha) {
  redis_client client(options());
  const std::string script = "return tonumber(ARGV[1]) * 2";
  auto a = client.run_script(script, {}, {"21"});
  ASSERT_TRUE(a) << db_error_text(a.error());
  EXPECT_EQ(a->integer, 42);
  auto b = client.run_script(script, {}, {"5"});
  ASSERT_TRUE(b) << db_error_text(b.error());
  EXPECT_EQ(b->integer, 10);
  auto sha = client.script_load(script);
  ASSERT_TRUE(sha);
  auto exists = client.command({"SCRIPT", "EXISTS", *sha});
  ASSERT_TRUE(exists);
  EXPECT_EQ(exists->elements.at(0).integer, 1);
}

TEST_F(redis, slow_command_times_out_and_the_client_reconnects) {
  auto o = options();
  o.timeout = 300ms;
  redis_client client(o);
  // BLPOP blocks 3 s on the server, then answers nil: a time-out error
  // (not a nil reply) shows the client gave up first.
  auto slow = client.command({"BLPOP", key("list"), "3"});
  ASSERT_FALSE(slow);
  EXPECT_EQ(db_error_code(slow.error()), db_errc::timeout)
      << db_error_text(slow.error());
  EXPECT_FALSE(client.connected());
  EXPECT_TRUE(client.ping()) << "the next call opens a fresh connection";
}

TEST_F(redis, unreachable_redis_is_unavailable_naming_the_endpoint) {
  redis_options o;
  o.port = ferry::test::free_port();
  o.timeout = 500ms;
  o.password = "hunter2";
  redis_client client(o);
  auto pong = client.ping();
  ASSERT_FALSE(pong);
  EXPECT_EQ(db_error_code(pong.error()), db_errc::unavailable);
  auto text = db_error_text(pong.error());
  EXPECT_NE(text.find(client.endpoint()), std::string::npos) << text;
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
}

TEST_F(redis, wrong_password_is_reported_without_the_password) {
  auto o = options();
  o.password = "hunter2";
  redis_client client(o);
  auto pong = client.ping();
  // The shared Redis has no password: AUTH fails and says so.
  ASSERT_FALSE(pong);
  auto text = db_error_text(pong.error());
  EXPECT_NE(text.find("AUTH failed"), std::string::npos) << text;
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
}
