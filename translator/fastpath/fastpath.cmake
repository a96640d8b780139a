# SPDX-License-Identifier: BSD-2-Clause
# The tc fast path (issue 13): the BPF program compiled by clang, embedded
# in a bpftool skeleton header, and the tun64fastpath library that loads it
# through libbpf. Included from the top-level CMakeLists.txt.
find_program(TUN64_BPF_CLANG NAMES clang clang-14)
find_program(TUN64_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf)
set(TUN64_FASTPATH_MISSING "")
foreach(what TUN64_BPF_CLANG TUN64_BPFTOOL LIBBPF_FOUND)
  if(NOT ${what})
    list(APPEND TUN64_FASTPATH_MISSING ${what})
  endif()
endforeach()
if(TUN64_FASTPATH_MISSING)
  set(TUN64_FASTPATH_DEFAULT OFF)
else()
  set(TUN64_FASTPATH_DEFAULT ON)
endif()
option(TUN64_FASTPATH "Build the tc BPF fast path (needs clang, bpftool, libbpf-dev)"
       ${TUN64_FASTPATH_DEFAULT})
if(NOT TUN64_FASTPATH)
  if(TUN64_FASTPATH_MISSING)
    message(STATUS "tc fast path: off (not found: ${TUN64_FASTPATH_MISSING}; "
                   "tests/install-deps.sh installs them)")
  endif()
  return()
endif()
if(TUN64_FASTPATH_MISSING)
  message(FATAL_ERROR "TUN64_FASTPATH=ON but not found: ${TUN64_FASTPATH_MISSING}")
endif()

set(FP_SRC ${CMAKE_CURRENT_SOURCE_DIR}/translator/fastpath)
set(FP_BIN ${CMAKE_CURRENT_BINARY_DIR}/fastpath)
# -target bpf has no libc: the kernel's uapi headers need the multiarch
# directory for asm/types.h. -g: BTF, which libbpf needs for the maps.
# -mcpu=v3: atomic fetch-and-add for the per-session Identification.
add_custom_command(OUTPUT ${FP_BIN}/fastpath.bpf.o
  COMMAND ${CMAKE_COMMAND} -E make_directory ${FP_BIN}
  COMMAND ${TUN64_BPF_CLANG} -target bpf -mcpu=v3 -O2 -g -Wall -Wextra -Werror
          -I/usr/include/${CMAKE_LIBRARY_ARCHITECTURE} -I${FP_SRC}
          -c ${FP_SRC}/fastpath.bpf.c -o ${FP_BIN}/fastpath.bpf.o
  DEPENDS ${FP_SRC}/fastpath.bpf.c ${FP_SRC}/fastpath_maps.h VERBATIM)
add_custom_command(OUTPUT ${FP_BIN}/fastpath.skel.h
  COMMAND sh -c "\"$0\" gen skeleton \"$1\" name fastpath_bpf > \"$2\""
          ${TUN64_BPFTOOL} ${FP_BIN}/fastpath.bpf.o ${FP_BIN}/fastpath.skel.h
  DEPENDS ${FP_BIN}/fastpath.bpf.o VERBATIM)

add_library(tun64fastpath STATIC ${FP_SRC}/fastpath.c ${FP_BIN}/fastpath.skel.h)
target_include_directories(tun64fastpath PUBLIC ${FP_SRC} PRIVATE ${FP_BIN})
target_link_libraries(tun64fastpath PUBLIC PkgConfig::LIBBPF)
target_compile_definitions(tun64fastpath PUBLIC TUN64_FASTPATH=1)
