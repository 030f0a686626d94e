// The generated namespace table (prefix <-> URI, incl. soap, erp, wsse and
// wsu): included in exactly this one file, as gSOAP requires.
#include "ErpBinding.nsmap"
#include "protocols/soap/erp_wsse.hpp"
#include "soapH.h"

namespace ferry::soap {

void use_erp_namespaces(struct ::soap* ctx) {
  // Also what pulls this object (and the global table libgsoap needs) out
  // of the static library.
  soap_set_namespaces(ctx, namespaces);
}

} // namespace ferry::soap
