# memscope_instrumented_executable(NAME SOURCES src... [FLAGS flag...] [SHARED_RUNTIME]
#                                  [EXPORT_RUNTIME] [LIBRARIES lib...] [DEPENDS target...])
#
# Builds NAME from C or C++ sources with the clang that matches the pass, loading
# MemscopePass, and links libmemscope (static unless SHARED_RUNTIME).  The compiler is
# called directly so this works whatever CMAKE_C_COMPILER is.
#
# LIBRARIES are targets of memscope_instrumented_library(), linked in (with an rpath to
# their directory).  EXPORT_RUNTIME, with the static runtime: link all of it and export
# its __memscope_* symbols, for instrumented shared libraries that do not link the
# runtime themselves and are dlopen'ed later (docs/pass.md, "Shared libraries").
# DEPENDS: other targets whose files FLAGS link in (NAME is relinked when they change).
function(memscope_instrumented_executable name)
  cmake_parse_arguments(ARG "SHARED_RUNTIME;EXPORT_RUNTIME" "" "SOURCES;FLAGS;LIBRARIES;DEPENDS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name})
  _memscope_sources(srcs compiler ${ARG_SOURCES})
  if(ARG_SHARED_RUNTIME)
    set(runtime_target memscope_shared)
    set(runtime_link $<TARGET_FILE:memscope_shared> -Wl,-rpath,$<TARGET_FILE_DIR:memscope_shared>)
  elseif(ARG_EXPORT_RUNTIME)
    # Whole: a library may call an entry point the program itself never references.
    set(runtime_target memscope_static)
    set(runtime_link -Wl,--whole-archive $<TARGET_FILE:memscope_static> -Wl,--no-whole-archive
                     "-Wl,--export-dynamic-symbol=__memscope_*")
  else()
    set(runtime_target memscope_static)
    set(runtime_link $<TARGET_FILE:memscope_static>)
  endif()
  set(lib_link)
  set(lib_files)
  foreach(lib ${ARG_LIBRARIES})
    get_target_property(lib_out ${lib} OUTPUT_PATH)
    get_filename_component(lib_dir ${lib_out} DIRECTORY)
    list(APPEND lib_link ${lib_out} -Wl,-rpath,${lib_dir})
    list(APPEND lib_files ${lib_out})
  endforeach()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${compiler} -fpass-plugin=$<TARGET_FILE:MemscopePass>
            -I${PROJECT_SOURCE_DIR}/include ${ARG_FLAGS} ${srcs} ${lib_link} ${runtime_link}
            -lpthread -lm -o ${out}
    DEPENDS ${srcs} MemscopePass ${runtime_target} ${ARG_LIBRARIES} ${lib_files} ${ARG_DEPENDS}
    COMMENT "Instrumenting ${name}"
    VERBATIM COMMAND_EXPAND_LISTS)
  add_custom_target(${name} ALL DEPENDS ${out})
  set_target_properties(${name} PROPERTIES OUTPUT_PATH ${out})
endfunction()

# memscope_instrumented_library(NAME SOURCES src... [FLAGS flag...] [SHARED_RUNTIME])
#
# Builds the shared library lib<NAME>.so (soname lib<NAME>.so) with the plugin, for
# linking (LIBRARIES above) or dlopen.  SHARED_RUNTIME links libmemscope.so into it
# (DT_NEEDED and an rpath), so that it works in any process, even one built without
# memscope.  Without it the __memscope_* symbols stay undefined and the program must
# provide them (SHARED_RUNTIME or EXPORT_RUNTIME above).
function(memscope_instrumented_library name)
  cmake_parse_arguments(ARG "SHARED_RUNTIME" "" "SOURCES;FLAGS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/lib${name}.so)
  _memscope_sources(srcs compiler ${ARG_SOURCES})
  set(runtime_target)
  set(runtime_link)
  if(ARG_SHARED_RUNTIME)
    set(runtime_target memscope_shared)
    set(runtime_link $<TARGET_FILE:memscope_shared> -Wl,-rpath,$<TARGET_FILE_DIR:memscope_shared>)
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${compiler} -fpass-plugin=$<TARGET_FILE:MemscopePass> -fPIC -shared
            -Wl,-soname,lib${name}.so -I${PROJECT_SOURCE_DIR}/include ${ARG_FLAGS} ${srcs}
            ${runtime_link} -o ${out}
    DEPENDS ${srcs} MemscopePass ${runtime_target}
    COMMENT "Instrumenting lib${name}.so"
    VERBATIM COMMAND_EXPAND_LISTS)
  add_custom_target(${name} ALL DEPENDS ${out})
  set_target_properties(${name} PROPERTIES OUTPUT_PATH ${out})
endfunction()

# Absolute paths of the sources, and clang or clang++ (any C++ source makes it clang++).
function(_memscope_sources srcs_var compiler_var)
  set(srcs)
  set(compiler ${MEMSCOPE_CLANG})
  foreach(src ${ARGN})
    get_filename_component(abs ${src} ABSOLUTE)
    list(APPEND srcs ${abs})
    if(abs MATCHES "\\.(cc|cpp|cxx)$")
      set(compiler ${MEMSCOPE_CLANGXX})
    endif()
  endforeach()
  set(${srcs_var} ${srcs} PARENT_SCOPE)
  set(${compiler_var} ${compiler} PARENT_SCOPE)
endfunction()
