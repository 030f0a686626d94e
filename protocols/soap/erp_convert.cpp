#include "protocols/soap/erp_convert.hpp"

namespace ferry::soap {

namespace {

// Money on the wire: xs:decimal with at most 2 fraction digits.
bool parse_money(const std::string& text, const char* field, money& out,
                 std::string& error) {
  if (auto m = money::parse(text)) {
    out = *m;
    return true;
  }
  error = std::string{field} + ": '" + text +
          "' is not a decimal with at most 2 fraction digits";
  return false;
}

bool parse_decimal(const std::string& text, const char* field, decimal& out,
                   std::string& error) {
  if (auto d = decimal::parse(text)) {
    out = *d;
    return true;
  }
  error = std::string{field} + ": '" + text +
          "' is not a decimal with at most 6 fraction digits";
  return false;
}

std::string text_or_empty(const std::string* x) {
  return x ? *x : std::string{};
}

erp__WeightUnit to_soap(erp_weight_unit x) {
  switch (x) {
    case erp_weight_unit::kg:
      return erp__WeightUnit__KG;
    case erp_weight_unit::g:
      return erp__WeightUnit__G;
    case erp_weight_unit::lb:
      return erp__WeightUnit__LB;
    case erp_weight_unit::oz:
      return erp__WeightUnit__OZ;
  }
  return erp__WeightUnit__KG;
}

erp_weight_unit from_soap(erp__WeightUnit x) {
  switch (x) {
    case erp__WeightUnit__KG:
      return erp_weight_unit::kg;
    case erp__WeightUnit__G:
      return erp_weight_unit::g;
    case erp__WeightUnit__LB:
      return erp_weight_unit::lb;
    case erp__WeightUnit__OZ:
      return erp_weight_unit::oz;
  }
  return erp_weight_unit::kg;
}

erp__UpsertOutcome to_soap(erp_upsert_outcome x) {
  switch (x) {
    case erp_upsert_outcome::created:
      return erp__UpsertOutcome__Created;
    case erp_upsert_outcome::updated:
      return erp__UpsertOutcome__Updated;
    case erp_upsert_outcome::error:
      return erp__UpsertOutcome__Error;
  }
  return erp__UpsertOutcome__Error;
}

} // namespace

std::string* optional_text(struct soap* ctx, const std::string& text) {
  if (text.empty())
    return nullptr;
  auto* result = soap_new_std__string(ctx);
  *result = text;
  return result;
}

erp__OrderStatus to_soap(erp_order_status x) {
  switch (x) {
    case erp_order_status::open:
      return erp__OrderStatus__Open;
    case erp_order_status::released:
      return erp__OrderStatus__Released;
    case erp_order_status::shipped:
      return erp__OrderStatus__Shipped;
    case erp_order_status::invoiced:
      return erp__OrderStatus__Invoiced;
    case erp_order_status::cancelled:
      return erp__OrderStatus__Cancelled;
  }
  return erp__OrderStatus__Open;
}

erp_order_status from_soap(erp__OrderStatus x) {
  switch (x) {
    case erp__OrderStatus__Open:
      return erp_order_status::open;
    case erp__OrderStatus__Released:
      return erp_order_status::released;
    case erp__OrderStatus__Shipped:
      return erp_order_status::shipped;
    case erp__OrderStatus__Invoiced:
      return erp_order_status::invoiced;
    case erp__OrderStatus__Cancelled:
      return erp_order_status::cancelled;
  }
  return erp_order_status::open;
}

erp__ErrorCode to_soap(erp_fault_code x) {
  switch (x) {
    case erp_fault_code::none:
    case erp_fault_code::validation:
      return erp__ErrorCode__Validation;
    case erp_fault_code::not_found:
      return erp__ErrorCode__NotFound;
    case erp_fault_code::duplicate_external_order_id:
      return erp__ErrorCode__DuplicateExternalOrderID;
    case erp_fault_code::duplicate_customer:
      return erp__ErrorCode__DuplicateCustomer;
    case erp_fault_code::unknown_item:
      return erp__ErrorCode__UnknownItem;
    case erp_fault_code::unknown_customer:
      return erp__ErrorCode__UnknownCustomer;
    case erp_fault_code::throttled:
      return erp__ErrorCode__Throttled;
    case erp_fault_code::unavailable:
      return erp__ErrorCode__Unavailable;
  }
  return erp__ErrorCode__Validation;
}

erp_fault_code from_soap(erp__ErrorCode x) {
  switch (x) {
    case erp__ErrorCode__Validation:
      return erp_fault_code::validation;
    case erp__ErrorCode__NotFound:
      return erp_fault_code::not_found;
    case erp__ErrorCode__DuplicateExternalOrderID:
      return erp_fault_code::duplicate_external_order_id;
    case erp__ErrorCode__DuplicateCustomer:
      return erp_fault_code::duplicate_customer;
    case erp__ErrorCode__UnknownItem:
      return erp_fault_code::unknown_item;
    case erp__ErrorCode__UnknownCustomer:
      return erp_fault_code::unknown_customer;
    case erp__ErrorCode__Throttled:
      return erp_fault_code::throttled;
    case erp__ErrorCode__Unavailable:
      return erp_fault_code::unavailable;
  }
  return erp_fault_code::validation;
}

erp__Item* to_soap(struct soap* ctx, const erp_item& x) {
  auto* r = soap_new_erp__Item(ctx);
  r->ItemCode = x.item_code;
  r->ItemName = x.item_name;
  r->Description = x.description;
  r->BasePrice = x.base_price.to_string();
  r->Weight = x.weight.to_string();
  r->WeightUnit = to_soap(x.weight_unit);
  r->IsActive = x.is_active;
  r->ModifiedAt = optional_text(ctx, x.modified_at);
  return r;
}

erp__Customer* to_soap(struct soap* ctx, const erp_customer& x) {
  auto* r = soap_new_erp__Customer(ctx);
  r->CustomerNo = optional_text(ctx, x.customer_no);
  r->Email = x.email;
  r->FirstName = x.first_name;
  r->LastName = x.last_name;
  r->Company = optional_text(ctx, x.company);
  r->Phone = optional_text(ctx, x.phone);
  r->ExternalCustomerID = optional_text(ctx, x.external_customer_id);
  r->PriceGroup = optional_text(ctx, x.price_group);
  r->IsActive = x.is_active;
  r->ModifiedAt = optional_text(ctx, x.modified_at);
  return r;
}

erp__SalesOrder* to_soap(struct soap* ctx, const erp_sales_order& x) {
  auto* r = soap_new_erp__SalesOrder(ctx);
  r->SalesOrderNo = optional_text(ctx, x.sales_order_no);
  if (!x.sales_order_no.empty()) {
    // Status is set by the ERP: present in answers only, as the number.
    r->Status = static_cast<erp__OrderStatus*>(
        soap_malloc(ctx, sizeof(erp__OrderStatus)));
    *r->Status = to_soap(x.status);
  }
  r->ExternalOrderID = x.external_order_id;
  r->OrderDate = x.order_date;
  r->CustomerNo = x.customer_no;
  r->CustomerEmail = x.customer_email;
  r->CurrencyCode = x.currency_code;
  r->TotalAmount = x.total_amount.to_string();
  for (const auto& line : x.lines) {
    auto* l = soap_new_erp__SalesOrderLine(ctx);
    l->ItemCode = line.item_code;
    l->Quantity = line.quantity.to_string();
    l->BasePrice = line.base_price.to_string();
    l->LineAmount = line.line_amount.to_string();
    r->Line.push_back(l);
  }
  return r;
}

erp__StatusChange* to_soap(struct soap* ctx, const erp_status_change& x) {
  auto* r = soap_new_erp__StatusChange(ctx);
  r->SalesOrderNo = x.sales_order_no;
  r->ExternalOrderID = x.external_order_id;
  r->Status = to_soap(x.status);
  r->TrackingNo = optional_text(ctx, x.tracking_no);
  r->ChangedAt = x.changed_at;
  return r;
}

erp__Warehouse* to_soap(struct soap* ctx, const erp_warehouse& x) {
  auto* r = soap_new_erp__Warehouse(ctx);
  r->WarehouseCode = x.warehouse_code;
  r->Name = x.name;
  r->IsActive = x.is_active;
  return r;
}

erp__StockLevel* to_soap(struct soap* ctx, const erp_stock_level& x) {
  auto* r = soap_new_erp__StockLevel(ctx);
  r->ItemCode = x.item_code;
  r->WarehouseCode = x.warehouse_code;
  r->OnHand = x.on_hand.to_string();
  r->Reserved = x.reserved.to_string();
  r->Available = x.available.to_string();
  r->AllowBackorder = x.allow_backorder;
  r->ModifiedAt = x.modified_at;
  return r;
}

erp__PriceList* to_soap(struct soap* ctx, const erp_price_list& x) {
  auto* r = soap_new_erp__PriceList(ctx);
  r->PriceListCode = x.price_list_code;
  if (!x.customer_no.empty()) {
    r->__union_PriceList = SOAP_UNION__erp__union_PriceList_CustomerNo;
    r->union_PriceList.CustomerNo = optional_text(ctx, x.customer_no);
  } else {
    r->__union_PriceList = SOAP_UNION__erp__union_PriceList_PriceGroup;
    r->union_PriceList.PriceGroup = soap_new_std__string(ctx);
    *r->union_PriceList.PriceGroup = x.price_group;
  }
  r->CurrencyCode = x.currency_code;
  r->ValidFrom = x.valid_from;
  r->ValidTo = optional_text(ctx, x.valid_to);
  r->ModifiedAt = x.modified_at;
  for (const auto& line : x.lines) {
    auto* l = soap_new_erp__PriceLine(ctx);
    l->ItemCode = line.item_code;
    l->MinQuantity = line.min_quantity.to_string();
    if (line.has_unit_price) {
      l->__union_PriceLine = SOAP_UNION__erp__union_PriceLine_UnitPrice;
      l->union_PriceLine.UnitPrice = soap_new_std__string(ctx);
      *l->union_PriceLine.UnitPrice = line.unit_price.to_string();
    } else {
      l->__union_PriceLine = SOAP_UNION__erp__union_PriceLine_DiscountPercent;
      l->union_PriceLine.DiscountPercent = soap_new_std__string(ctx);
      *l->union_PriceLine.DiscountPercent = line.discount_percent.to_string();
    }
    r->PriceLine.push_back(l);
  }
  return r;
}

erp__UpsertResult* to_soap(struct soap* ctx, const erp_upsert_result& x) {
  auto* r = soap_new_erp__UpsertResult(ctx);
  r->ItemCode = x.item_code;
  r->Outcome = to_soap(x.outcome);
  if (x.error_code != erp_fault_code::none) {
    r->ErrorCode =
        static_cast<erp__ErrorCode*>(soap_malloc(ctx, sizeof(erp__ErrorCode)));
    *r->ErrorCode = to_soap(x.error_code);
  }
  r->Message = optional_text(ctx, x.message);
  return r;
}

bool from_soap(const erp__Item& x, erp_item& out, std::string& error) {
  out.item_code = x.ItemCode;
  out.item_name = x.ItemName;
  out.description = x.Description;
  out.weight_unit = from_soap(x.WeightUnit);
  out.is_active = x.IsActive;
  out.modified_at = text_or_empty(x.ModifiedAt);
  return parse_money(x.BasePrice, "Item.BasePrice", out.base_price, error) &&
         parse_decimal(x.Weight, "Item.Weight", out.weight, error);
}

bool from_soap(const erp__Customer& x, erp_customer& out, std::string&) {
  out.customer_no = text_or_empty(x.CustomerNo);
  out.email = x.Email;
  out.first_name = x.FirstName;
  out.last_name = x.LastName;
  out.company = text_or_empty(x.Company);
  out.phone = text_or_empty(x.Phone);
  out.external_customer_id = text_or_empty(x.ExternalCustomerID);
  out.price_group = text_or_empty(x.PriceGroup);
  out.is_active = x.IsActive;
  out.modified_at = text_or_empty(x.ModifiedAt);
  return true;
}

bool from_soap(const erp__SalesOrder& x, erp_sales_order& out,
               std::string& error) {
  out.sales_order_no = text_or_empty(x.SalesOrderNo);
  out.status = x.Status ? from_soap(*x.Status) : erp_order_status::open;
  out.external_order_id = x.ExternalOrderID;
  out.order_date = x.OrderDate;
  out.customer_no = x.CustomerNo;
  out.customer_email = x.CustomerEmail;
  out.currency_code = x.CurrencyCode;
  if (!parse_money(x.TotalAmount, "SalesOrder.TotalAmount", out.total_amount,
                   error))
    return false;
  out.lines.clear();
  for (const auto* l : x.Line) {
    if (!l) {
      error = "SalesOrder.Line: empty element";
      return false;
    }
    erp_sales_order_line line;
    line.item_code = l->ItemCode;
    if (!parse_decimal(l->Quantity, "SalesOrder.Line.Quantity", line.quantity,
                       error) ||
        !parse_money(l->BasePrice, "SalesOrder.Line.BasePrice", line.base_price,
                     error) ||
        !parse_money(l->LineAmount, "SalesOrder.Line.LineAmount",
                     line.line_amount, error))
      return false;
    out.lines.push_back(std::move(line));
  }
  return true;
}

bool from_soap(const erp__StatusChange& x, erp_status_change& out,
               std::string&) {
  out.sales_order_no = x.SalesOrderNo;
  out.external_order_id = x.ExternalOrderID;
  out.status = from_soap(x.Status);
  out.tracking_no = text_or_empty(x.TrackingNo);
  out.changed_at = x.ChangedAt;
  return true;
}

bool from_soap(const erp__Warehouse& x, erp_warehouse& out, std::string&) {
  out.warehouse_code = x.WarehouseCode;
  out.name = x.Name;
  out.is_active = x.IsActive;
  return true;
}

bool from_soap(const erp__StockLevel& x, erp_stock_level& out,
               std::string& error) {
  out.item_code = x.ItemCode;
  out.warehouse_code = x.WarehouseCode;
  out.allow_backorder = x.AllowBackorder;
  out.modified_at = x.ModifiedAt;
  return parse_decimal(x.OnHand, "StockLevel.OnHand", out.on_hand, error) &&
         parse_decimal(x.Reserved, "StockLevel.Reserved", out.reserved,
                       error) &&
         parse_decimal(x.Available, "StockLevel.Available", out.available,
                       error);
}

bool from_soap(const erp__PriceList& x, erp_price_list& out,
               std::string& error) {
  out.price_list_code = x.PriceListCode;
  out.customer_no.clear();
  out.price_group.clear();
  if (x.__union_PriceList == SOAP_UNION__erp__union_PriceList_CustomerNo &&
      x.union_PriceList.CustomerNo)
    out.customer_no = *x.union_PriceList.CustomerNo;
  else if (x.__union_PriceList == SOAP_UNION__erp__union_PriceList_PriceGroup &&
           x.union_PriceList.PriceGroup)
    out.price_group = *x.union_PriceList.PriceGroup;
  else {
    error = "PriceList.CustomerNo/PriceGroup: neither is present";
    return false;
  }
  out.currency_code = x.CurrencyCode;
  out.valid_from = x.ValidFrom;
  out.valid_to = text_or_empty(x.ValidTo);
  out.modified_at = x.ModifiedAt;
  out.lines.clear();
  for (const auto* l : x.PriceLine) {
    if (!l) {
      error = "PriceList.PriceLine: empty element";
      return false;
    }
    erp_price_line line;
    line.item_code = l->ItemCode;
    if (!parse_decimal(l->MinQuantity, "PriceLine.MinQuantity",
                       line.min_quantity, error))
      return false;
    if (l->__union_PriceLine == SOAP_UNION__erp__union_PriceLine_UnitPrice &&
        l->union_PriceLine.UnitPrice) {
      line.has_unit_price = true;
      if (!parse_money(*l->union_PriceLine.UnitPrice, "PriceLine.UnitPrice",
                       line.unit_price, error))
        return false;
    } else if (l->__union_PriceLine ==
                   SOAP_UNION__erp__union_PriceLine_DiscountPercent &&
               l->union_PriceLine.DiscountPercent) {
      line.has_unit_price = false;
      if (!parse_decimal(*l->union_PriceLine.DiscountPercent,
                         "PriceLine.DiscountPercent", line.discount_percent,
                         error))
        return false;
    } else {
      error = "PriceLine.UnitPrice/DiscountPercent: neither is present";
      return false;
    }
    out.lines.push_back(std::move(line));
  }
  return true;
}

bool from_soap(const erp__UpsertResult& x, erp_upsert_result& out,
               std::string&) {
  out.item_code = x.ItemCode;
  switch (x.Outcome) {
    case erp__UpsertOutcome__Created:
      out.outcome = erp_upsert_outcome::created;
      break;
    case erp__UpsertOutcome__Updated:
      out.outcome = erp_upsert_outcome::updated;
      break;
    case erp__UpsertOutcome__Error:
      out.outcome = erp_upsert_outcome::error;
      break;
  }
  out.error_code = x.ErrorCode ? from_soap(*x.ErrorCode) : erp_fault_code::none;
  out.message = text_or_empty(x.Message);
  return true;
}

} // namespace ferry::soap
