// Input of soapcpp2: the ERP's bindings (wsdl2h output) plus the WS-Security
// header, so that SOAP_ENV__Header carries wsse:Security.
#import "erp.h"
#import "wsse.h"
