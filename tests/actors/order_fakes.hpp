#pragma once

// Fake ERP and shop connectors for the order saga's unit tests: they keep
// what a real ERP and shop would (customers, sales orders unique by
// ExternalOrderID, comments, holds) and fail on request.

#include "actors/erp_connector.hpp"
#include "actors/shop_connector.hpp"

#include <caf/all.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ferry::test {

/// The fake ERP's state and fault plan; shared with the test.
struct fake_erp_state {
  std::mutex mutex;
  std::map<std::string, std::string> customers;  // email → CustomerNo
  std::map<std::string, erp_sales_order> orders; // ExternalOrderID → order
  int next_no = 1;
  int find_customer_calls = 0;
  int create_customer_calls = 0;
  int create_order_calls = 0;
  int get_order_calls = 0;
  /// Every call fails with this while set (the ERP is down).
  std::optional<erp_error> down;
  /// CreateSalesOrder commits, then answers outcome_unknown, this many
  /// times ("commit but drop the response").
  int drop_after_commit = 0;
  /// CreateCustomer answers DuplicateCustomer with this CustomerNo (the
  /// customer appeared meanwhile) this many times.
  int duplicate_customer = 0;
  /// Item codes the ERP does not know.
  std::set<std::string> unknown_items;

  int order_count() {
    std::lock_guard<std::mutex> guard{mutex};
    return static_cast<int>(orders.size());
  }
};

inline erp_error erp_fault(erp_error_kind kind, erp_fault_code code,
                           std::string message, std::string key = {}) {
  erp_error e;
  e.kind = kind;
  e.code = code;
  e.message = std::move(message);
  e.existing_key = std::move(key);
  return e;
}

inline erp_connector_actor::behavior_type
fake_erp(erp_connector_actor::pointer, std::shared_ptr<fake_erp_state> s) {
  auto unsupported = [] {
    return make_erp_caf_error(erp_fault(erp_error_kind::invalid_request,
                                        erp_fault_code::none,
                                        "not in the fake"));
  };
  return {
      [s](erp_create_sales_order& req) -> caf::result<erp_created_sales_order> {
        std::lock_guard<std::mutex> guard{s->mutex};
        ++s->create_order_calls;
        if (s->down)
          return make_erp_caf_error(*s->down);
        auto& o = req.order;
        for (auto& l : o.lines)
          if (s->unknown_items.count(l.item_code))
            return make_erp_caf_error(erp_fault(
                erp_error_kind::client_fault, erp_fault_code::unknown_item,
                "SalesOrder.Line.ItemCode " + l.item_code + " is unknown"));
        if (auto it = s->orders.find(o.external_order_id);
            it != s->orders.end())
          return make_erp_caf_error(
              erp_fault(erp_error_kind::client_fault,
                        erp_fault_code::duplicate_external_order_id,
                        "ExternalOrderID exists", it->second.sales_order_no));
        o.sales_order_no = "SO-" + std::to_string(s->next_no++);
        s->orders.emplace(o.external_order_id, o);
        if (s->drop_after_commit > 0) {
          --s->drop_after_commit;
          return make_erp_caf_error(
              erp_fault(erp_error_kind::outcome_unknown, erp_fault_code::none,
                        "CreateSalesOrder: no answer within 10 s"));
        }
        return erp_created_sales_order{o.sales_order_no,
                                       erp_order_status::open};
      },
      [s](erp_get_sales_order& req) -> caf::result<erp_sales_order> {
        std::lock_guard<std::mutex> guard{s->mutex};
        ++s->get_order_calls;
        if (s->down)
          return make_erp_caf_error(*s->down);
        auto it = s->orders.find(req.external_order_id);
        if (it == s->orders.end())
          return make_erp_caf_error(erp_fault(
              erp_error_kind::client_fault, erp_fault_code::not_found,
              "no sales order with ExternalOrderID " + req.external_order_id));
        return it->second;
      },
      [s](erp_find_customer& req) -> caf::result<erp_customer_lookup> {
        std::lock_guard<std::mutex> guard{s->mutex};
        ++s->find_customer_calls;
        if (s->down)
          return make_erp_caf_error(*s->down);
        erp_customer_lookup out;
        if (auto it = s->customers.find(req.email); it != s->customers.end()) {
          out.found = true;
          out.customer.customer_no = it->second;
          out.customer.email = req.email;
        }
        return out;
      },
      [s](erp_create_customer& req) -> caf::result<erp_customer_no> {
        std::lock_guard<std::mutex> guard{s->mutex};
        ++s->create_customer_calls;
        if (s->down)
          return make_erp_caf_error(*s->down);
        if (s->duplicate_customer > 0) {
          --s->duplicate_customer;
          auto no = "C-DUP-" + std::to_string(s->next_no++);
          s->customers[req.customer.email] = no;
          return make_erp_caf_error(erp_fault(
              erp_error_kind::client_fault, erp_fault_code::duplicate_customer,
              "email exists", no));
        }
        auto no = "C" + std::to_string(s->next_no++);
        s->customers[req.customer.email] = no;
        return erp_customer_no{no};
      },
      [=](erp_update_customer&) -> caf::result<erp_modified_at> {
        return unsupported();
      },
      [=](erp_get_customers&) -> caf::result<erp_page<erp_customer>> {
        return unsupported();
      },
      [=](erp_get_items&) -> caf::result<erp_page<erp_item>> {
        return unsupported();
      },
      [=](erp_upsert_items&) -> caf::result<erp_upsert_results> {
        return unsupported();
      },
      [=](erp_get_status_changes&) -> caf::result<erp_page<erp_status_change>> {
        return unsupported();
      },
      [=](erp_get_warehouses&) -> caf::result<erp_warehouse_list> {
        return unsupported();
      },
      [=](erp_get_stock_levels&) -> caf::result<erp_page<erp_stock_level>> {
        return unsupported();
      },
      [=](erp_get_price_lists&) -> caf::result<erp_page<erp_price_list>> {
        return unsupported();
      },
      [](caf::get_atom) { return erp_connector_status{}; },
      [](backlog_atom) { return std::uint64_t{0}; },
      [](erp_retry_atom, erp_job_ptr&) {},
  };
}

/// The fake shop's record of what was done to it.
struct fake_shop_state {
  std::mutex mutex;
  /// entity_id → comments in order.
  std::map<std::int64_t, std::vector<std::string>> comments;
  /// entity_id → "hold", "unhold", "cancel" in order.
  std::map<std::int64_t, std::vector<std::string>> actions;
  /// customer id → erp_customer_no stored.
  std::map<std::int64_t, std::string> erp_customer_no;
  /// customer id → group_id (GET /customers/{id}); others are 404.
  std::map<std::int64_t, int> customer_groups;
  int get_customer_calls = 0;
  /// PUT /customers/{id} calls taken.
  int update_customer_calls = 0;
  /// Calls fail with 503 while set.
  bool down = false;

  std::vector<std::string> comments_of(std::int64_t id) {
    std::lock_guard<std::mutex> guard{mutex};
    return comments[id];
  }
  std::vector<std::string> actions_of(std::int64_t id) {
    std::lock_guard<std::mutex> guard{mutex};
    return actions[id];
  }
};

inline shop_connector_actor::behavior_type
fake_shop(shop_connector_actor::pointer, std::shared_ptr<fake_shop_state> s) {
  auto unsupported = [] {
    return make_shop_caf_error(
        shop_error{shop_error_kind::validation, 400, "not in the fake"});
  };
  auto unavailable = [] {
    return make_shop_caf_error(
        shop_error{shop_error_kind::server_error, 503, "shop down"});
  };
  return {
      [=](shop_get_product&) -> caf::result<shop::shop_product> {
        return unsupported();
      },
      [=](shop_put_product&) -> caf::result<shop::shop_product> {
        return unsupported();
      },
      [=](shop_bulk_products&) -> caf::result<shop_bulk_results> {
        return unsupported();
      },
      [=](shop_list_products&) -> caf::result<shop_product_page> {
        return unsupported();
      },
      [=](shop_get_customer& req) -> caf::result<shop::shop_customer> {
        std::lock_guard<std::mutex> guard{s->mutex};
        ++s->get_customer_calls;
        if (s->down)
          return unavailable();
        auto it = s->customer_groups.find(req.id);
        if (it == s->customer_groups.end())
          return make_shop_caf_error(
              shop_error{shop_error_kind::not_found, 404, "no such customer"});
        shop::shop_customer c;
        c.id = req.id;
        c.group_id = it->second;
        return c;
      },
      [=](shop_search_customers&) -> caf::result<shop_customer_page> {
        return unsupported();
      },
      [=](shop_list_customers&) -> caf::result<shop_customer_page> {
        return unsupported();
      },
      [=](shop_update_customer& req) -> caf::result<shop::shop_customer> {
        std::lock_guard<std::mutex> guard{s->mutex};
        if (s->down)
          return unavailable();
        ++s->update_customer_calls;
        for (auto& a : req.custom_attributes)
          if (a.attribute_code == "erp_customer_no")
            s->erp_customer_no[req.id] = a.value;
        shop::shop_customer c;
        c.id = req.id;
        return c;
      },
      [=](shop_get_order&) -> caf::result<shop::shop_order> {
        return unsupported();
      },
      [=](shop_list_orders&) -> caf::result<shop_order_page> {
        return unsupported();
      },
      [=](shop_comment_order& req) -> caf::result<bool> {
        std::lock_guard<std::mutex> guard{s->mutex};
        if (s->down)
          return unavailable();
        s->comments[req.entity_id].push_back(req.comment);
        return true;
      },
      [=](shop_order_action& req) -> caf::result<bool> {
        std::lock_guard<std::mutex> guard{s->mutex};
        if (s->down)
          return unavailable();
        s->actions[req.entity_id].push_back(req.action);
        return true;
      },
      [=](shop_get_sources&) -> caf::result<shop_source_list> {
        return unsupported();
      },
      [=](shop_get_source_items&) -> caf::result<shop_source_item_list> {
        return unsupported();
      },
      [=](shop_set_source_items&) -> caf::result<shop_bulk_results> {
        return unsupported();
      },
      [=](shop_set_backorders&) -> caf::result<bool> { return unsupported(); },
      [](shop_done_atom, shop_job_ptr&) {},
      [](shop_retry_atom, shop_job_ptr&) {},
  };
}

} // namespace ferry::test
