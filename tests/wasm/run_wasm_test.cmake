# Driver of the wasm tests (cmake -P): checks that the wasm build exists and
# is current, optionally writes the native vectors (MAKE_VECTORS), then runs
#   node SCRIPT facegender_wasm.mjs SCRIPT_ARG
# Fails, never skips, when something it needs is missing.

set(module ${WASM_BUILD_DIR}/wasm-client/facegender_wasm.mjs)
set(binary ${WASM_BUILD_DIR}/wasm-client/facegender_wasm.wasm)
foreach(file IN ITEMS ${module} ${binary})
  if(NOT EXISTS ${file})
    message(FATAL_ERROR
      "wasm test: ${file} is missing: build the wasm preset first: cmake --build --preset wasm "
      "(configure it once with: NODE_PATH=/usr/share/nodejs cmake --preset wasm; "
      "another build folder: reconfigure the native preset with -DFACEGENDER_WASM_BUILD_DIR=...)")
  endif()
endforeach()

# A module older than the sources it is built from would test old code.
file(GLOB_RECURSE sources
     ${SOURCE_DIR}/shared/src/*.cpp ${SOURCE_DIR}/shared/include/*.hpp ${SOURCE_DIR}/wasm-client/src/*
     ${SOURCE_DIR}/wasm-client/js/post.js)
foreach(source IN LISTS sources)
  if("${source}" IS_NEWER_THAN "${binary}")
    message(FATAL_ERROR
      "wasm test: ${binary} is older than ${source}: rebuild the wasm preset first: cmake --build --preset wasm")
  endif()
endforeach()

if(NOT NODE)
  message(FATAL_ERROR "wasm test: node not found (Debian: apt-get install nodejs); reconfigure the native preset")
endif()

if(MAKE_VECTORS)
  execute_process(COMMAND ${MAKE_VECTORS} ${VECTORS_DIR} ${CASCADE_DIR} ${PHOTO_DIR} ${DETECTOR_DIR} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "wasm test: make_parity_vectors failed (${rc})")
  endif()
endif()

# No eval / new Function: the web app's Content-Security-Policy forbids them.
execute_process(COMMAND ${NODE} --disallow-code-generation-from-strings ${SCRIPT} ${module} ${SCRIPT_ARG}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  get_filename_component(script_name ${SCRIPT} NAME)
  message(FATAL_ERROR "wasm test: ${script_name} failed (${rc})")
endif()
