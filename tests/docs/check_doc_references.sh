#!/usr/bin/env bash
# check_doc_references.sh: every test name and file path the docs cite exists, so a rename breaks the build's
# tests instead of misleading a reader.
#   usage: check_doc_references.sh SOURCE_DIR          (ctest runs it as docs_references)
# Scans README.md and docs/*.md for
#   - test names in backticks, `Suite.Name`, `Suite.*` or `Suite.Prefix*`, and in --gtest_filter=A.B:C.D
#     arguments: the suite and name must be declared by TEST/TEST_F/TEST_P/TYPED_TEST in tests/;
#   - markdown links [text](path) that are not URLs: the path, relative to the page, must exist, and a #section
#     must be the GitHub anchor of one of that page's headings (lower case, punctuation dropped, spaces -> -);
#   - paths in backticks that start with a source folder of the repo (tensor/ops/conv2d.h, tests/yolo/, ...):
#     relative to the repository root, they must exist (a trailing * or a {a,b} group is not checked).
# Prints one line per missing reference (page, what, why) and exits 1 when there is any.
set -euo pipefail
root=${1:?usage: check_doc_references.sh SOURCE_DIR}
cd "$root"
pages=(README.md docs/*.md)

# Every declared test as Suite.Name, one per line.
declared=$(grep -rhoP --exclude-dir=fixture '\b(TEST|TEST_F|TEST_P|TYPED_TEST|TYPED_TEST_P)\(\s*\w+\s*,\s*\w+' tests |
  sed -E 's/^[A-Z_]+\(\s*(\w+)\s*,\s*(\w+)$/\1.\2/' | sort -u)
[ -n "$declared" ] || { echo "check_doc_references: no TEST declarations found under $root/tests"; exit 1; }

# The GitHub anchors of a markdown file's headings, one per line.
anchors_of() {
  grep -E '^#{1,6} ' "$1" | sed -E 's/^#+ +//; s/ +$//' | LC_ALL=C.UTF-8 sed -E 's/.*/\L&/; s/[^[:alnum:] _-]//g; s/ /-/g'
}

missing=0
report() {  # page, kind, reference
  echo "$1: $2 $3 does not exist"
  missing=$((missing + 1))
}

test_exists() {  # Suite.Name, Suite.* or Suite.Prefix*
  local suite=${1%%.*} name=${1#*.}
  if [[ $name == *'*' ]]; then
    grep -q "^${suite}\.${name%\*}" <<<"$declared"
  else
    grep -qx "${suite}\.${name}" <<<"$declared"
  fi
}

source_folders='util|tensor|cuda_kernels|layers|yolo|imgproc|train|picker|review|apps|tests|bench|scripts|docs|models'

for page in "${pages[@]}"; do
  dir=$(dirname "$page")
  # Test names in backticks, and the patterns of --gtest_filter arguments.
  names=$( { grep -oP '`[A-Z][A-Za-z0-9_]*\.([A-Z][A-Za-z0-9_]*\*?|\*)`' "$page" | tr -d '`' || true
             grep -oP -- "--gtest_filter=['\"]?\K[A-Za-z0-9_.*:/-]+" "$page" | tr ':' '\n' |
               grep -P '^[A-Z][A-Za-z0-9_]*\.([A-Z][A-Za-z0-9_]*\*?|\*)$' || true; } | sort -u)
  for t in $names; do
    test_exists "$t" || report "$page" "test" "$t"
  done

  # Markdown links to files, and to sections (#anchor) of markdown pages.
  links=$(grep -oP '\]\(\K[^)\s]+(?=\))' "$page" | grep -vP '^(https?:|mailto:)' | sort -u || true)
  for l in $links; do
    file=${l%%#*}
    target=$([ -n "$file" ] && echo "$dir/$file" || echo "$page")
    if [ ! -e "$target" ]; then
      report "$page" "link" "$l"
    elif [[ $l == *'#'* && $target == *.md ]] && ! anchors_of "$target" | grep -qxF "${l#*#}"; then
      report "$page" "section link" "$l"
    fi
  done

  # Repository paths in backticks.
  paths=$(grep -oP "\`\K(${source_folders})/[A-Za-z0-9_./-]*(?=\`)" "$page" | sort -u || true)
  for p in $paths; do
    [ -e "$p" ] || report "$page" "path" "$p"
  done
done

if [ "$missing" -gt 0 ]; then
  echo "check_doc_references: $missing cited test name(s) or path(s) do not exist (rename the citation or the test)"
  exit 1
fi
echo "check_doc_references: every cited test name and path in README.md and docs/*.md exists"
