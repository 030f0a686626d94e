#include "simulators/erp/admin_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <thread>

namespace ferry::sim {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;
using nlohmann::json;

namespace {

struct reply {
  http::status status = http::status::ok;
  json body;
};

reply error_reply(http::status status, const std::string& message) {
  return {status, {{"error", message}}};
}

reply from_fault(const sim_fault& f) {
  if (!f)
    return {http::status::ok, {{"ok", true}}};
  auto status = f.code == erp_fault_code::not_found ? http::status::not_found
                                                    : http::status::bad_request;
  return {status, {{"error", f.message}, {"code", to_string(f.code)}}};
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

reply route(sim_store& store, knob_board& knobs, http::verb method,
            const std::string& target, const std::string& text) {
  json body;
  if (!text.empty()) {
    try {
      body = json::parse(text);
    } catch (const std::exception& e) {
      return error_reply(http::status::bad_request,
                         std::string{"the body is not JSON: "} + e.what());
    }
  }
  auto now = knobs.now();
  if (method == http::verb::get && target == "/admin/state")
    return {http::status::ok, store.admin_dump()};
  if (method == http::verb::get && target == "/admin/stats")
    return {http::status::ok, knobs.stats()};
  if (method == http::verb::get && target == "/admin/faults")
    return {http::status::ok, knobs.to_json()};
  if (method == http::verb::post && target == "/admin/faults") {
    auto err = knobs.update(body);
    if (!err.empty())
      return error_reply(http::status::bad_request, err);
    // Outages take effect within the accept loop's 200 ms poll; answer
    // once they have, so that a test can act right away.
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    return {http::status::ok, knobs.to_json()};
  }
  if (method == http::verb::post && target == "/admin/faults/reset") {
    knobs.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    return {http::status::ok, knobs.to_json()};
  }
  const std::string items = "/admin/items/";
  if (method == http::verb::post && starts_with(target, items))
    return from_fault(
        store.admin_change_item(target.substr(items.size()), body, now));
  if (method == http::verb::post && target == "/admin/stock")
    return from_fault(store.admin_set_stock(body, now));
  if (method == http::verb::post && target == "/admin/price-lists")
    return from_fault(store.admin_put_price_list(body, now));
  const std::string orders = "/admin/orders/";
  const std::string status = "/status";
  if (method == http::verb::post && starts_with(target, orders) &&
      target.size() > orders.size() + status.size() &&
      target.compare(target.size() - status.size(), status.size(), status) == 0)
    return from_fault(store.admin_set_order_status(
        target.substr(orders.size(),
                      target.size() - orders.size() - status.size()),
        body, now));
  return error_reply(http::status::not_found,
                     "no admin endpoint " +
                         std::string{http::to_string(method)} + " " + target);
}

void serve(tcp::socket socket, sim_store& store, knob_board& knobs) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec)
      break;
    reply r;
    try {
      r = route(store, knobs, req.method(), std::string{req.target()},
                req.body());
    } catch (const std::exception& e) {
      r = error_reply(http::status::bad_request, e.what());
    }
    http::response<http::string_body> res{r.status, req.version()};
    res.set(http::field::server, "ferry-sim-erp");
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = r.body.dump();
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !req.keep_alive())
      break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

} // namespace

struct admin_server::impl {
  sim_store& store;
  knob_board& knobs;
  boost::asio::io_context io;
  tcp::acceptor acceptor{io};
  impl(sim_store& s, knob_board& k) : store(s), knobs(k) {}
};

admin_server::admin_server(sim_store& store, knob_board& knobs)
    : impl_(std::make_unique<impl>(store, knobs)) {}

admin_server::~admin_server() = default;

int admin_server::bind(int port) {
  tcp::endpoint ep{boost::asio::ip::make_address("127.0.0.1"),
                   static_cast<unsigned short>(port)};
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  return impl_->acceptor.local_endpoint().port();
}

void admin_server::run() {
  for (;;) {
    tcp::socket socket{impl_->io};
    beast::error_code ec;
    impl_->acceptor.accept(socket, ec);
    if (ec)
      continue;
    std::thread([s = std::move(socket), this]() mutable {
      serve(std::move(s), impl_->store, impl_->knobs);
    }).detach();
  }
}

} // namespace ferry::sim
