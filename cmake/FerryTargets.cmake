# Helpers that give every layer, test and benchmark the same shape.

set(FERRY_WARNINGS -Wall -Wextra)
if(FERRY_WERROR)
  list(APPEND FERRY_WARNINGS -Werror)
endif()

# ferry_layer(NAME DEPS ... [EXTRA_SOURCES ...]): the static library
# ferry_<NAME> from every .cpp below the calling folder. Files are picked up
# without editing CMake, so that parallel work on one layer does not collide
# here. Includes are written from the repository root:
# #include "mapping/money.hpp".
function(ferry_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS;EXTRA_SOURCES" ${ARGN})
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(APPEND sources ${ARG_EXTRA_SOURCES})
  if(sources)
    add_library(ferry_${name} STATIC ${sources})
    target_include_directories(ferry_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_compile_options(ferry_${name} PRIVATE ${FERRY_WARNINGS})
    target_link_libraries(ferry_${name} PUBLIC ${ARG_DEPS})
  else()
    add_library(ferry_${name} INTERFACE)
    target_include_directories(ferry_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(ferry_${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# ferry_tests(DIR LINK ...): one GoogleTest executable per *_test.cpp file in
# tests/DIR, labelled by its suffix:
#   *_integration_test.cpp -> integration   (real PostgreSQL/Redis/SMTP,
#                                            simulators as processes)
#   *_chaos_test.cpp       -> chaos
#   *_e2e_test.cpp         -> e2e
#   *_test.cpp             -> unit
# Test executables see FERRY_SOURCE_DIR and FERRY_BINARY_DIR, and the paths of
# the simulator and ferry binaries once those targets exist.
function(ferry_tests dir)
  cmake_parse_arguments(ARG "" "" "LINK" ${ARGN})
  file(GLOB test_sources CONFIGURE_DEPENDS
       ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*_test.cpp)
  foreach(src ${test_sources})
    get_filename_component(stem ${src} NAME_WE)
    set(target ${dir}_${stem})
    string(REPLACE "/" "_" target ${target})
    add_executable(${target} ${src})
    target_compile_options(${target} PRIVATE ${FERRY_WARNINGS})
    target_link_libraries(${target} PRIVATE ferry_test_support ${ARG_LINK}
                          GTest::gtest_main GTest::gmock)
    if(stem MATCHES "_integration_test$")
      set(label integration)
      set(timeout 900)
    elseif(stem MATCHES "_chaos_test$")
      set(label chaos)
      set(timeout 1200)
    elseif(stem MATCHES "_e2e_test$")
      set(label e2e)
      set(timeout 1200)
    else()
      set(label unit)
      set(timeout 300)
    endif()
    add_test(NAME ${target} COMMAND ${target} --gtest_color=no)
    set_tests_properties(${target} PROPERTIES LABELS "${label};${dir}"
                         TIMEOUT ${timeout})
  endforeach()
endfunction()
