# Writes OUTPUT, a C++ file that defines ferry::persistence::embedded_migrations()
# from every persistence/migrations/NNNN_name.sql below DIR, so that the ferry
# binary carries its schema wherever it runs. Run at build time by
# persistence/CMakeLists.txt (cmake -DDIR=... -DOUTPUT=... -P this file).
cmake_minimum_required(VERSION 3.25)
file(GLOB files "${DIR}/*.sql")
list(SORT files)
set(body "")
set(seen "")
foreach(file ${files})
  get_filename_component(base ${file} NAME_WE)
  if(NOT base MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)$")
    message(FATAL_ERROR "migration ${file}: the name must be NNNN_name.sql "
                        "(four digits, then lower-case letters, digits, _)")
  endif()
  set(version ${CMAKE_MATCH_1})
  set(name ${CMAKE_MATCH_2})
  if(version IN_LIST seen)
    message(FATAL_ERROR "migration ${file}: version ${version} is used twice")
  endif()
  list(APPEND seen ${version})
  math(EXPR number "${version}")
  file(READ ${file} sql)
  if(sql MATCHES "\\)ferry_sql\"")
    message(FATAL_ERROR "migration ${file} contains the raw-string delimiter")
  endif()
  string(APPEND body "    {${number}, \"${name}\", R\"ferry_sql(${sql})ferry_sql\"},\n")
endforeach()
set(content "// Generated from persistence/migrations/*.sql by embed_migrations.cmake.
#include \"persistence/migrations.hpp\"

namespace ferry::persistence {

const std::vector<migration>& embedded_migrations() {
  static const std::vector<migration> all{
${body}  };
  return all;
}

} // namespace ferry::persistence
")
# Rewrite only on change so that an unchanged schema does not rebuild.
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE ${OUTPUT} "${content}")
