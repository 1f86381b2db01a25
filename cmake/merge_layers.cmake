# The merge's layers only depend downward (docs/architecture.md).  The build enforces it
# twice: each layer's include directory is seen only by itself and the layers above it
# (merge/CMakeLists.txt), and this check, run at configure time, refuses any include
# in merge/ that names a header of a higher layer, or reaches another folder by a
# path ("../report/report.h").  Run as a script (cmake -DMERGE_DIR=... -P) it checks
# another tree: tests/unit/merge_layers.sh shows that a violation fails.
set(MEMSCOPE_MERGE_LAYERS base read model resolve report)

function(memscope_check_merge_layers merge_dir)
  # Which layer holds each header.
  foreach(layer IN LISTS MEMSCOPE_MERGE_LAYERS)
    file(GLOB headers RELATIVE ${merge_dir}/${layer} ${merge_dir}/${layer}/*.h)
    foreach(h IN LISTS headers)
      set(owner_${h} ${layer})
    endforeach()
  endforeach()
  set(problems "")
  set(rank 0)
  foreach(layer IN LISTS MEMSCOPE_MERGE_LAYERS)
    file(GLOB sources ${merge_dir}/${layer}/*.c ${merge_dir}/${layer}/*.h)
    foreach(src IN LISTS sources)
      file(STRINGS ${src} includes REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]")
      foreach(line IN LISTS includes)
        file(RELATIVE_PATH shown ${merge_dir} ${src})
        if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*<([^>]*)>")
          # <system/header.h>; a merge header written <report.h> is checked like "report.h"
          set(inc ${CMAKE_MATCH_1})
          if(inc MATCHES "/" OR NOT DEFINED owner_${inc})
            continue()
          endif()
        else()
          string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\".*" "\\1" inc "${line}")
        endif()
        if(inc MATCHES "^memscope/")
          continue() # the shared headers (include/memscope/)
        endif()
        if(inc MATCHES "/")
          string(APPEND problems "  merge/${shown}: #include \"${inc}\": include a header by its name, not by a path\n")
          continue()
        endif()
        if(NOT DEFINED owner_${inc})
          continue() # a system or generated header
        endif()
        list(FIND MEMSCOPE_MERGE_LAYERS ${owner_${inc}} their_rank)
        if(their_rank GREATER rank)
          string(APPEND problems "  merge/${shown}: #include \"${inc}\": ${layer}/ may not use ${owner_${inc}}/ (a higher layer)\n")
        endif()
      endforeach()
    endforeach()
    math(EXPR rank "${rank} + 1")
  endforeach()
  if(problems)
    message(FATAL_ERROR "memscope: the merge's layers depend only downward "
            "(base < read < model < resolve < report; docs/architecture.md):\n${problems}")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND MERGE_DIR)
  memscope_check_merge_layers(${MERGE_DIR})
endif()
