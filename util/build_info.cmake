# build_info.cmake: run at every build (cmake -P, from util/CMakeLists.txt) to write
# build_info_values.h from build_info_values.h.in. Reads the commit, whether the tree is dirty and
# the source date; everything else arrives as -D values. configure_file rewrites the header only
# when a value changed, so an unchanged tree recompiles nothing.
#   in:  SOURCE_DIR OUTPUT TEMPLATE GIT_COMMIT_OVERRIDE VERSION BUILD_TYPE CPU_TARGET CXX_COMPILER
#        CUDA CUDA_ARCHS CUDA_COMPILER CUDNN
set(GIT_COMMIT "unknown")
set(GIT_DIRTY 0)
set(SOURCE_DATE "unknown")
find_program(GIT git)
if(GIT)
  execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} rev-parse --verify HEAD
                  OUTPUT_VARIABLE head RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0)
    set(GIT_COMMIT ${head})
    # --no-optional-locks: a build must not take git's index lock from under a user's git command.
    execute_process(COMMAND ${GIT} --no-optional-locks -C ${SOURCE_DIR} status --porcelain
                    OUTPUT_VARIABLE status OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(NOT status STREQUAL "")
      set(GIT_DIRTY 1)
    endif()
    set(ENV{TZ} UTC)  # format-local: the commit date in UTC whatever the builder's time zone
    execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ
                    OUTPUT_VARIABLE date OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(date)
      set(SOURCE_DATE ${date})
    endif()
  endif()
endif()
if(GIT_COMMIT STREQUAL "unknown" AND GIT_COMMIT_OVERRIDE)
  set(GIT_COMMIT ${GIT_COMMIT_OVERRIDE})
endif()
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  string(TIMESTAMP SOURCE_DATE "%Y-%m-%dT%H:%M:%SZ" UTC)  # string(TIMESTAMP) reads SOURCE_DATE_EPOCH
endif()
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
