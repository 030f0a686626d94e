// libFuzzer target for the ERP client's SOAP response path: arbitrary bytes
// as the HTTP answer to one of the operations. Any input must give a value
// or a typed error: no crash, no hang, no sanitizer report.

#include "protocols/soap/erp_client.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr std::string_view operations[] = {
      "CreateSalesOrder", "GetSalesOrder",  "GetItems",
      "GetPriceLists",    "GetStockLevels", "FindCustomer"};
  if (size == 0)
    return 0;
  auto op = operations[data[0] % (sizeof(operations) / sizeof(operations[0]))];
  std::string_view bytes{reinterpret_cast<const char*>(data + 1), size - 1};
  (void)ferry::decode_erp_response(op, bytes);
  return 0;
}
