#pragma once

#include "mapping/erp_types.hpp"

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ferry::sim {

/// The outcome of one ERP operation in the simulator: a fault or success.
struct sim_fault {
  erp_fault_code code = erp_fault_code::none; ///< none: success
  std::string message;
  std::string existing_key; ///< SalesOrderNo / CustomerNo of Duplicate faults
  explicit operator bool() const { return code != erp_fault_code::none; }
};

/// What `--seed-*` generates on first start; deterministic by `seed`.
struct seed_settings {
  std::uint64_t seed = 42;
  int items = 20;
  int customers = 10;
  int warehouses = 2;
  /// When set, also a non-stock item of this code for the shipping and tax
  /// lines of orders (what a real ERP calls its freight or charges item).
  std::string charges_item;
  /// Which reading of the points the contract leaves open the seed
  /// serves (simulators/erp/README.md, "Variants"); 0: the plain seed.
  int variant = 0;
};

/// Makes `iana_name` ("America/Chicago") the ERP's time zone for this
/// process: OrderDate is local time there (contracts/ERP-SOAP.md), so a
/// date that does not exist on its wall clock is a Validation fault. Sets
/// TZ; call it once, before any thread starts. False (nothing changed) when
/// the zone is not a file under `zoneinfo_dir`. Without a call: UTC.
bool set_erp_time_zone(const std::string& iana_name,
                       const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

/// The ERP's data and rules: in memory, every change appended to a journal
/// (JSON lines, fsync'd) under the data folder and replayed at start.
/// Thread-safe.
class sim_store {
public:
  using clock = std::chrono::system_clock;

  /// Opens (replays) `data_dir`/journal.jsonl; seeds an empty store.
  sim_store(std::string data_dir, const seed_settings& seed, bool fsync);

  /// Items modified since `since` (inclusive), oldest change first.
  erp_page<erp_item> get_items(const std::optional<clock::time_point>& since,
                               int page_size, const std::string& token,
                               sim_fault& fault);
  std::vector<erp_upsert_result>
  upsert_items(const std::vector<erp_item>& items, clock::time_point now);
  std::optional<erp_customer> find_customer(const std::string& email);
  std::string create_customer(erp_customer c, clock::time_point now,
                              sim_fault& fault);
  std::string update_customer(const erp_customer& c, clock::time_point now,
                              sim_fault& fault);
  erp_page<erp_customer>
  get_customers(const std::optional<clock::time_point>& since, int page_size,
                const std::string& token, sim_fault& fault);
  erp_created_sales_order create_sales_order(erp_sales_order o,
                                             clock::time_point now,
                                             sim_fault& fault);
  erp_sales_order get_sales_order(const std::string& external_order_id,
                                  sim_fault& fault);
  erp_page<erp_status_change> get_status_changes(clock::time_point since,
                                                 int page_size,
                                                 const std::string& token,
                                                 sim_fault& fault);
  std::vector<erp_warehouse> get_warehouses();
  erp_page<erp_stock_level>
  get_stock_levels(const std::optional<clock::time_point>& since,
                   const std::string& warehouse, int page_size,
                   const std::string& token, sim_fault& fault);
  erp_page<erp_price_list>
  get_price_lists(const std::optional<clock::time_point>& since, int page_size,
                  const std::string& token, sim_fault& fault);

  // Admin: what the ERP's own users do.
  /// Changes name/price/status of an item (fields present in `patch`).
  sim_fault admin_change_item(const std::string& code,
                              const nlohmann::json& patch,
                              clock::time_point now);
  /// Sets on_hand/reserved/allow_backorder of an item in a warehouse.
  sim_fault admin_set_stock(const nlohmann::json& body, clock::time_point now);
  /// Adds or replaces a price list.
  sim_fault admin_put_price_list(const nlohmann::json& body,
                                 clock::time_point now);
  /// Advances an order (by ExternalOrderID) to a new status.
  sim_fault admin_set_order_status(const std::string& external_order_id,
                                   const nlohmann::json& body,
                                   clock::time_point now);
  /// Everything the ERP holds, as JSON.
  nlohmann::json admin_dump();

private:
  struct row_meta {
    std::uint64_t seq = 0;
    clock::time_point modified;
  };
  template <class T>
  struct keep_fn {
    using type = bool (*)(const T&, const void*);
  };
  template <class T>
  struct row {
    T value;
    row_meta meta;
  };

  void replay();
  void seed(const seed_settings& s);
  void append(const nlohmann::json& record);
  void apply(const nlohmann::json& record);
  row_meta touch(clock::time_point now);

  template <class T, class Key>
  erp_page<T> page_of(const std::map<Key, row<T>>& rows,
                      const std::optional<clock::time_point>& since,
                      int page_size, const std::string& token, sim_fault& fault,
                      typename keep_fn<T>::type keep, const void* ctx);

  std::mutex mtx_;
  std::string data_dir_;
  bool fsync_;
  int journal_fd_ = -1;
  std::uint64_t seq_ = 0;
  std::int64_t next_customer_ = 1;
  std::int64_t next_order_ = 100001;
  std::map<std::string, row<erp_item>> items_;
  std::map<std::string, row<erp_customer>> customers_;
  std::map<std::string, std::string> customer_by_email_;
  std::map<std::string, row<erp_sales_order>> orders_; // by SalesOrderNo
  std::map<std::string, std::string> order_by_external_id_;
  std::map<std::uint64_t, row<erp_status_change>> status_changes_;
  std::map<std::string, erp_warehouse> warehouses_;
  std::map<std::string, row<erp_stock_level>> stock_; // item|warehouse
  std::map<std::string, row<erp_price_list>> price_lists_;
};

/// The simulator's clock text for ModifiedAt/ChangedAt: UTC with Z.
std::string utc_text(sim_store::clock::time_point t);

} // namespace ferry::sim
