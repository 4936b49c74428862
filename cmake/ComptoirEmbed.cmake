# comptoir_embed(<input> <template> <output> <variable>)
#
# Compiles a text file into the binary: reads <input>, turns it into the body
# of a C++ string literal of hex escapes (one source line per line of the
# file) in <variable>, and configures <template> (which spells
# "@<variable>@") into <output>. CMake re-runs, and the output rebuilds,
# whenever <input> changes.
function(comptoir_embed input template output variable)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${input})
  file(READ ${input} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" literal "${hex}")
  string(REPLACE "\\x0a" "\\x0a\"\n    \"" literal "${literal}")
  set(${variable} "${literal}")
  configure_file(${template} ${output} @ONLY)
endfunction()
