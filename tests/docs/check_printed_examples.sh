#!/usr/bin/env bash
# check_printed_examples.sh: what the docs' runnable examples print is what the pages show. Runs each example test
# and requires every line it prints (other than Google Test's own) to appear, verbatim, as a line of some page in
# docs/. A changed number fails here, in the test suite, instead of leaving a page that shows the old one.
#   usage: check_printed_examples.sh SOURCE_DIR 'BINARY --gtest_filter=...' ...     (ctest runs it as docs_examples_match_pages)
# Lines that depend on the machine are exempt: the GEMM kernel's name (the CPU's instruction set).
set -uo pipefail
root=${1:?usage: check_printed_examples.sh SOURCE_DIR 'BINARY ARGS' ...}
shift
pages=("$root"/docs/*.md)
set -f  # the commands hold gtest filters such as Suite.*: no file-name expansion from here on
missing=0
for command in "$@"; do
  # shellcheck disable=SC2086  # the command and its arguments come as one word
  if ! out=$($command 2>&1); then
    echo "check_printed_examples: '$command' failed:"
    echo "$out" | tail -20
    exit 1
  fi
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    case "$line" in
      '['*|'Running main()'*|'Note: Google Test filter'*|'GEMM kernels in use:'*) continue ;;
    esac
    if ! grep -qxF -- "$line" "${pages[@]}"; then
      echo "not shown on any page of docs/: '$line'   (printed by $command)"
      missing=$((missing + 1))
    fi
  done <<<"$out"
done
if [ "$missing" -gt 0 ]; then
  echo "check_printed_examples: $missing printed line(s) differ from the pages: update the page (or the example)"
  exit 1
fi
echo "check_printed_examples: every line the examples print is shown in docs/"
