#pragma once

// Conversions between our ERP records (mapping/erp_types.hpp) and gSOAP's
// generated bindings. Internal to protocols/soap and the ERP simulator: the
// only files that see generated types.

#include "mapping/erp_types.hpp"
#include "soapH.h"

#include <string>

namespace ferry::soap {

/// Allocates `text` in the soap context (nullptr for empty text: the
/// contract omits absent optional fields).
std::string* optional_text(struct soap* ctx, const std::string& text);

/// Our record as a generated object owned by `ctx`.
erp__Item* to_soap(struct soap* ctx, const erp_item& x);
/// Our record as a generated object owned by `ctx`.
erp__Customer* to_soap(struct soap* ctx, const erp_customer& x);
/// Our record as a generated object owned by `ctx`.
erp__SalesOrder* to_soap(struct soap* ctx, const erp_sales_order& x);
/// Our record as a generated object owned by `ctx`.
erp__StatusChange* to_soap(struct soap* ctx, const erp_status_change& x);
/// Our record as a generated object owned by `ctx`.
erp__Warehouse* to_soap(struct soap* ctx, const erp_warehouse& x);
/// Our record as a generated object owned by `ctx`.
erp__StockLevel* to_soap(struct soap* ctx, const erp_stock_level& x);
/// Our record as a generated object owned by `ctx`.
erp__PriceList* to_soap(struct soap* ctx, const erp_price_list& x);
/// Our record as a generated object owned by `ctx`.
erp__UpsertResult* to_soap(struct soap* ctx, const erp_upsert_result& x);

/// The generated object as our record; false with `error` naming the field
/// (e.g. "SalesOrder.TotalAmount: '1.005' has more than 2 fraction digits").
bool from_soap(const erp__Item& x, erp_item& out, std::string& error);
/// See above.
bool from_soap(const erp__Customer& x, erp_customer& out, std::string& error);
/// See above.
bool from_soap(const erp__SalesOrder& x, erp_sales_order& out,
               std::string& error);
/// See above.
bool from_soap(const erp__StatusChange& x, erp_status_change& out,
               std::string& error);
/// See above.
bool from_soap(const erp__Warehouse& x, erp_warehouse& out, std::string& error);
/// See above.
bool from_soap(const erp__StockLevel& x, erp_stock_level& out,
               std::string& error);
/// See above.
bool from_soap(const erp__PriceList& x, erp_price_list& out,
               std::string& error);
/// See above.
bool from_soap(const erp__UpsertResult& x, erp_upsert_result& out,
               std::string& error);

/// Enum conversions between ours and the generated ones.
erp__OrderStatus to_soap(erp_order_status x);
/// See above.
erp_order_status from_soap(erp__OrderStatus x);
/// See above.
erp__ErrorCode to_soap(erp_fault_code x);
/// See above; `none` never comes from the wire.
erp_fault_code from_soap(erp__ErrorCode x);

} // namespace ferry::soap
