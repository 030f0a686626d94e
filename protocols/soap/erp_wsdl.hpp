#pragma once

namespace ferry::soap {

/// The ERP's WSDL as one document (erp.wsdl with erp.xsd inlined), as the
/// simulator serves it at `GET {endpoint}?wsdl`.
const char* erp_wsdl_document();

} // namespace ferry::soap
