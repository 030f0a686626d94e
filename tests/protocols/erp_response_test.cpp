// Bad input from the ERP gives a typed error, never a crash or a hang:
// erp_client's response path fed with hostile answers.

#include "protocols/soap/erp_client.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

std::string http(const std::string& body, int status = 200) {
  return "HTTP/1.1 " + std::to_string(status) +
         (status == 200 ? " OK" : " Internal Server Error") +
         "\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string envelope(const std::string& inner, const std::string& prolog = "") {
  return prolog +
         "<soap:Envelope "
         "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:erp=\"urn:ferry:erp:v1\"><soap:Body>" +
         inner + "</soap:Body></soap:Envelope>";
}

const std::string created =
    "<erp:CreateSalesOrderResponse><erp:SalesOrderNo>SO-1</erp:SalesOrderNo>"
    "<erp:Status>Open</erp:Status></erp:CreateSalesOrderResponse>";

TEST(erp_response, a_contract_answer_decodes) {
  auto e = decode_erp_response("CreateSalesOrder", http(envelope(created)));
  EXPECT_FALSE(e) << e->message;
}

TEST(erp_response, a_fault_carries_its_error_code_and_key) {
  auto body = envelope("<soap:Fault><faultcode>soap:Client</"
                       "faultcode><faultstring>dup</faultstring>"
                       "<detail><erp:ErpFault><erp:ErrorCode>"
                       "DuplicateExternalOrderID</erp:ErrorCode>"
                       "<erp:Message>exists</"
                       "erp:Message><erp:SalesOrderNo>SO-7</erp:SalesOrderNo>"
                       "</erp:ErpFault></detail></soap:Fault>");
  auto e = decode_erp_response("CreateSalesOrder", http(body, 500));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, erp_error_kind::client_fault);
  EXPECT_EQ(e->code, erp_fault_code::duplicate_external_order_id);
  EXPECT_EQ(e->existing_key, "SO-7");
}

TEST(erp_response, the_simulators_own_fault_decodes) {
  // As ferry-sim-erp sends it (gSOAP's namespace table in the envelope).
  const std::string body = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:erp="urn:ferry:erp:v1" xmlns:c14n="http://www.w3.org/2001/10/xml-exc-c14n#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:saml1="urn:oasis:names:tc:SAML:1.0:assertion" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:wsc="http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>no sales order with ExternalOrderID X</faultstring><detail><erp:ErpFault><erp:ErrorCode>NotFound</erp:ErrorCode><erp:Message>no sales order with ExternalOrderID X</erp:Message></erp:ErpFault></detail></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>)xml";
  auto e = decode_erp_response("GetSalesOrder", http(body, 500));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, erp_error_kind::client_fault) << e->message;
  EXPECT_EQ(e->code, erp_fault_code::not_found) << e->message;
}

TEST(erp_response, malformed_xml_is_a_bad_response) {
  auto body = envelope(
      "<erp:CreateSalesOrderResponse><erp:SalesOrderNo>SO-1</erp:Status>"
      "</erp:CreateSalesOrderResponse>");
  auto e = decode_erp_response("CreateSalesOrder", http(body));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, erp_error_kind::bad_response) << e->message;
  EXPECT_NE(e->message.find("CreateSalesOrder"), std::string::npos);
}

TEST(erp_response, an_unexpected_element_is_a_bad_response) {
  auto body = envelope(
      "<erp:CreateSalesOrderResponse><erp:SalesOrderNo>SO-1</erp:SalesOrderNo>"
      "<erp:Surprise>1</erp:Surprise><erp:Status>Open</erp:Status>"
      "</erp:CreateSalesOrderResponse>");
  auto e = decode_erp_response("CreateSalesOrder", http(body));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, erp_error_kind::bad_response) << e->message;
}

// Decision (issue 3): answers are read strictly against the contract's
// fields (every required one, nothing else). A field Ferry does not know may
// change what the others mean, and money and orders must not be guessed at:
// the answer is a typed bad_response, seen in the connector's metrics and
// breaker, and the WSDL is updated on purpose. The vendor versions its
// namespace (urn:ferry:erp:v1) for such changes. The order of the fields
// carries no meaning, and gSOAP reads them in any order even when strict.
TEST(erp_response, fields_out_of_contract_order_still_decode) {
  auto body =
      envelope("<erp:CreateSalesOrderResponse><erp:Status>Open</erp:Status>"
               "<erp:SalesOrderNo>SO-1</erp:SalesOrderNo>"
               "</erp:CreateSalesOrderResponse>");
  auto e = decode_erp_response("CreateSalesOrder", http(body));
  EXPECT_FALSE(e) << e->message;
}

TEST(erp_response, a_missing_required_field_is_a_bad_response) {
  auto body = envelope(
      "<erp:CreateSalesOrderResponse><erp:SalesOrderNo>SO-1</erp:SalesOrderNo>"
      "</erp:CreateSalesOrderResponse>");
  auto e = decode_erp_response("CreateSalesOrder", http(body));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, erp_error_kind::bad_response) << e->message;
}

TEST(erp_response, an_element_of_another_namespace_is_a_bad_response) {
  auto body = envelope(
      "<erp:CreateSalesOrderResponse><erp:SalesOrderNo>SO-1</erp:SalesOrderNo>"
      "<erp:Status>Open</erp:Status>"
      "<x:Extra xmlns:x=\"urn:vendor:extension\">1</x:Extra>"
      "</erp:CreateSalesOrderResponse>");
  auto e = decode_erp_response("CreateSalesOrder", http(body));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, erp_error_kind::bad_response) << e->message;
}

TEST(erp_response, money_with_three_fraction_digits_is_a_bad_response) {
  auto body = envelope(
      "<erp:GetSalesOrderResponse><erp:SalesOrder>"
      "<erp:SalesOrderNo>SO-1</erp:SalesOrderNo><erp:Status>Open</erp:Status>"
      "<erp:ExternalOrderID>WEB-1</erp:ExternalOrderID>"
      "<erp:OrderDate>2026-11-28T22:15:00</erp:OrderDate>"
      "<erp:CustomerNo>C1</erp:CustomerNo><erp:CustomerEmail>a@b.c</"
      "erp:CustomerEmail>"
      "<erp:CurrencyCode>USD</erp:CurrencyCode><erp:TotalAmount>1.005</"
      "erp:TotalAmount>"
      "<erp:Line><erp:ItemCode>A</erp:ItemCode><erp:Quantity>1</erp:Quantity>"
      "<erp:BasePrice>1.00</erp:BasePrice><erp:LineAmount>1.00</"
      "erp:LineAmount></erp:Line>"
      "</erp:SalesOrder></erp:GetSalesOrderResponse>");
  auto e = decode_erp_response("GetSalesOrder", http(body));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, erp_error_kind::bad_response);
  EXPECT_NE(e->message.find("TotalAmount"), std::string::npos) << e->message;
}

TEST(erp_response, an_external_entity_is_never_resolved) {
  auto body = envelope(
      "<erp:CreateSalesOrderResponse><erp:SalesOrderNo>&xxe;</erp:SalesOrderNo>"
      "<erp:Status>Open</erp:Status></erp:CreateSalesOrderResponse>",
      "<?xml version=\"1.0\"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "
      "\"file:///etc/passwd\">]>");
  auto e = decode_erp_response("CreateSalesOrder", http(body));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, erp_error_kind::bad_response) << e->message;
  EXPECT_EQ(e->message.find("root:"), std::string::npos);
}

TEST(erp_response, a_huge_answer_is_refused) {
  std::string filler(17u << 20, 'x');
  auto body =
      envelope("<erp:CreateSalesOrderResponse><erp:SalesOrderNo>" + filler +
               "</erp:SalesOrderNo><erp:Status>Open</erp:Status>"
               "</erp:CreateSalesOrderResponse>");
  auto e = decode_erp_response("CreateSalesOrder", http(body));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, erp_error_kind::bad_response) << e->message;
}

TEST(erp_response, deep_nesting_is_refused) {
  std::string deep;
  for (int i = 0; i < 10000; ++i)
    deep += "<a>";
  auto body = envelope("<erp:CreateSalesOrderResponse>" + deep);
  auto e = decode_erp_response("CreateSalesOrder", http(body));
  ASSERT_TRUE(e);
  EXPECT_NE(e->kind, erp_error_kind::client_fault);
}

TEST(erp_response, garbage_and_empty_input_are_errors) {
  EXPECT_TRUE(decode_erp_response("GetItems", ""));
  EXPECT_TRUE(
      decode_erp_response("GetItems", "HTTP/1.1 200 OK\r\n\r\n\x01\x02"));
  EXPECT_TRUE(decode_erp_response("GetPriceLists", http("not xml at all")));
}

} // namespace
} // namespace ferry
