# memscope_instrumented_executable(NAME SOURCES src... [FLAGS flag...] [SHARED_RUNTIME])
#
# Builds NAME from C or C++ sources with the clang that matches the pass, loading
# MemscopePass, and links libmemscope (static unless SHARED_RUNTIME).  The compiler is
# called directly so this works whatever CMAKE_C_COMPILER is.
function(memscope_instrumented_executable name)
  cmake_parse_arguments(ARG "SHARED_RUNTIME" "" "SOURCES;FLAGS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name})
  set(srcs)
  set(compiler ${MEMSCOPE_CLANG})
  foreach(src ${ARG_SOURCES})
    get_filename_component(abs ${src} ABSOLUTE)
    list(APPEND srcs ${abs})
    if(abs MATCHES "\\.(cc|cpp|cxx)$")
      set(compiler ${MEMSCOPE_CLANGXX})
    endif()
  endforeach()
  if(ARG_SHARED_RUNTIME)
    set(runtime_target memscope_shared)
    set(runtime_link $<TARGET_FILE:memscope_shared> -Wl,-rpath,$<TARGET_FILE_DIR:memscope_shared>)
  else()
    set(runtime_target memscope_static)
    set(runtime_link $<TARGET_FILE:memscope_static>)
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${compiler} -fpass-plugin=$<TARGET_FILE:MemscopePass>
            -I${PROJECT_SOURCE_DIR}/include ${ARG_FLAGS} ${srcs} ${runtime_link}
            -lpthread -lm -o ${out}
    DEPENDS ${srcs} MemscopePass ${runtime_target}
    COMMENT "Instrumenting ${name}"
    VERBATIM COMMAND_EXPAND_LISTS)
  add_custom_target(${name} ALL DEPENDS ${out})
  set_target_properties(${name} PROPERTIES OUTPUT_PATH ${out})
endfunction()
