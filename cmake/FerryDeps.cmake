# Finds every Debian library Ferry uses and wraps the ones without a CMake
# package in imported targets named ferry::<lib>. The comments say why each
# one is found the way it is (Debian 12's packages).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# CAF 0.17.6: no CMake package, no .pc file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
add_library(ferry::caf INTERFACE IMPORTED)
target_include_directories(ferry::caf INTERFACE ${CAF_INCLUDE_DIR})
target_link_libraries(ferry::caf INTERFACE ${CAF_IO_LIBRARY}
                      ${CAF_CORE_LIBRARY} Threads::Threads)

# Beast and Asio are header-only: only Boost.System is a library.
find_package(Boost 1.74 REQUIRED COMPONENTS system)
# OpenSSL 3: CMake's own find module is enough.
find_package(OpenSSL 3 REQUIRED)
# zlib: gsoapssl++ is built with gzip support and needs it at link time.
find_package(ZLIB REQUIRED)
# nlohmann_json, prometheus-cpp and yaml-cpp ship CMake packages with
# targets of their own.
find_package(nlohmann_json 3 CONFIG REQUIRED)
# prometheus-cpp's package configures only with the libcurl and civetweb
# development packages installed.
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)

# libpqxx.pc omits -lpq.
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)
add_library(ferry::pqxx INTERFACE IMPORTED)
target_link_libraries(ferry::pqxx INTERFACE PkgConfig::PQXX PkgConfig::PQ)

# hiredis' CMake config defines no target: its .pc file does.
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
add_library(ferry::hiredis ALIAS PkgConfig::HIREDIS)

# libxml2 (HTML to text) through its .pc file, as a target like the others.
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
add_library(ferry::xml2 ALIAS PkgConfig::LIBXML2)

# libcurl: CMake's own find module is enough.
find_package(CURL REQUIRED)

# libxlsxwriter's .pc carries a wrong version: no version check.
pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET xlsxwriter)
add_library(ferry::xlsxwriter ALIAS PkgConfig::XLSXWRITER)

# libharu: no .pc file, no CMake package.
find_path(HPDF_INCLUDE_DIR hpdf.h REQUIRED)
find_library(HPDF_LIBRARY hpdf REQUIRED)
add_library(ferry::hpdf INTERFACE IMPORTED)
target_include_directories(ferry::hpdf INTERFACE ${HPDF_INCLUDE_DIR})
target_link_libraries(ferry::hpdf INTERFACE ${HPDF_LIBRARY})

# gSOAP: link gsoapssl++ only; its flags must match the library's. The
# generators build the bindings (protocols/soap/soap.cmake).
pkg_check_modules(GSOAP REQUIRED IMPORTED_TARGET gsoapssl++)
find_program(SOAPCPP2 soapcpp2 REQUIRED)
find_program(WSDL2H wsdl2h REQUIRED)
add_library(ferry::gsoap INTERFACE IMPORTED)
target_link_libraries(ferry::gsoap INTERFACE PkgConfig::GSOAP OpenSSL::SSL
                      OpenSSL::Crypto ZLIB::ZLIB)

if(FERRY_TESTS)
  # Debian's GoogleTest 1.12 ships a CMake package (static libraries).
  find_package(GTest CONFIG REQUIRED)
endif()
