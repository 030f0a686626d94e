-- Customers and customer-specific pricing (issue 7): the ERP's price lists
-- and base prices as last polled, the ERP's customers, and which shop
-- account maps to which ERP customer.

-- One row per ERP PriceList; `lines` holds its PriceLines as JSON with
-- amounts as decimal strings (mapping/price_json.hpp).
CREATE TABLE price_list (
  code        text        PRIMARY KEY,
  customer_no text        NOT NULL DEFAULT '',
  price_group text        NOT NULL DEFAULT '',
  currency    text        NOT NULL,
  valid_from  text        NOT NULL,
  valid_to    text        NOT NULL DEFAULT '',
  modified_at text        NOT NULL DEFAULT '',
  lines       jsonb       NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX price_list_customer ON price_list (customer_no)
  WHERE customer_no <> '';
CREATE INDEX price_list_group ON price_list (price_group)
  WHERE customer_no = '' AND price_group <> '';

-- The ERP's BasePrice per item, in minor units (cents).
CREATE TABLE item_base_price (
  item_code   text        PRIMARY KEY,
  price_minor bigint      NOT NULL,
  is_active   boolean     NOT NULL DEFAULT true,
  modified_at text        NOT NULL DEFAULT '',
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The ERP's customers as last seen (GetCustomers, FindCustomer,
-- CreateCustomer); the email is stored normalized (trimmed, lower case).
CREATE TABLE erp_customer (
  customer_no          text        PRIMARY KEY,
  email_normalized     text        NOT NULL,
  first_name           text        NOT NULL DEFAULT '',
  last_name            text        NOT NULL DEFAULT '',
  price_group          text        NOT NULL DEFAULT '',
  is_active            boolean     NOT NULL DEFAULT true,
  external_customer_id text        NOT NULL DEFAULT '',
  modified_at          text        NOT NULL DEFAULT '',
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX erp_customer_email ON erp_customer (email_normalized);

-- Shop account → ERP customer. Several shop accounts may map to one ERP
-- customer (same email, different case); `shared` marks the later ones.
CREATE TABLE customer_link (
  shop_customer_id bigint      PRIMARY KEY,
  customer_no      text        NOT NULL,
  shared           boolean     NOT NULL DEFAULT false,
  linked_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_link_customer ON customer_link (customer_no);
