-- The ERP customer number that Ferry has written on each shop customer (its
-- custom attribute erp_customer_no), recorded after the shop took the
-- write. An order of a customer whose shop record holds its ERP number
-- already makes no shop call for it. customer_link cannot say so: it maps a
-- shop account to its ERP customer, and the customer sync writes it before
-- its write-back to the shop, which may then fail.
CREATE TABLE shop_customer_tag (
  shop_customer_id bigint      PRIMARY KEY,
  customer_no      text        NOT NULL,
  tagged_at        timestamptz NOT NULL DEFAULT now()
);
