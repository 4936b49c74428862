# Find module for Debian's libsoci-dev 4.0 (it ships no CMake config).
# Usage: find_package(SOCI REQUIRED COMPONENTS sqlite3 postgresql)
# Provides imported targets SOCI::core, SOCI::sqlite3, SOCI::postgresql.
find_path(SOCI_INCLUDE_DIR NAMES soci/soci.h)
find_library(SOCI_core_LIBRARY NAMES soci_core)
if(SOCI_INCLUDE_DIR AND SOCI_core_LIBRARY AND NOT TARGET SOCI::core)
  add_library(SOCI::core UNKNOWN IMPORTED)
  set_target_properties(SOCI::core PROPERTIES
    IMPORTED_LOCATION "${SOCI_core_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}")
endif()
foreach(_comp IN LISTS SOCI_FIND_COMPONENTS)
  find_library(SOCI_${_comp}_LIBRARY NAMES soci_${_comp})
  if(SOCI_${_comp}_LIBRARY AND TARGET SOCI::core)
    set(SOCI_${_comp}_FOUND TRUE)
    if(NOT TARGET SOCI::${_comp})
      add_library(SOCI::${_comp} UNKNOWN IMPORTED)
      set_target_properties(SOCI::${_comp} PROPERTIES
        IMPORTED_LOCATION "${SOCI_${_comp}_LIBRARY}"
        INTERFACE_LINK_LIBRARIES SOCI::core)
      if(_comp STREQUAL "postgresql")
        # soci-postgresql.h includes <libpq-fe.h>.
        find_package(PostgreSQL REQUIRED)
        set_property(TARGET SOCI::postgresql APPEND PROPERTY
          INTERFACE_LINK_LIBRARIES PostgreSQL::PostgreSQL)
      endif()
    endif()
  endif()
endforeach()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI
  REQUIRED_VARS SOCI_INCLUDE_DIR SOCI_core_LIBRARY
  HANDLE_COMPONENTS)
