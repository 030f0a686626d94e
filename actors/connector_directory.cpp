#include "actors/connector_directory.hpp"

namespace ferry {

void connector_directory::set_erp(erp_connector_actor erp) {
  std::lock_guard<std::mutex> guard(mutex_);
  erp_ = std::move(erp);
}

void connector_directory::set_shop(shop_connector_actor shop) {
  std::lock_guard<std::mutex> guard(mutex_);
  shop_ = std::move(shop);
}

erp_connector_actor connector_directory::erp() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return erp_;
}

shop_connector_actor connector_directory::shop() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return shop_;
}

} // namespace ferry
