#!/usr/bin/env bash
# Fails (and names the files) when a C++ file of the repository differs from
# .clang-format; `./dev test` runs it as the ctest `format`. The fix is
# `clang-format-14 -i FILE`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FORMAT="${CLANG_FORMAT:-clang-format-14}"
command -v "$FORMAT" >/dev/null || { echo "$FORMAT is not installed (./dev deps installs it)" >&2; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
else
  mapfile -t files < <(find . -path ./build -prune -o -path ./.ferry -prune -o \
    -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print | sed 's|^\./||')
fi
differ=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  "$FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1 || differ+=("$f")
done
if [ ${#differ[@]} -gt 0 ]; then
  echo "${#differ[@]} of ${#files[@]} files differ from .clang-format; run: $FORMAT -i FILE" >&2
  printf '  %s\n' "${differ[@]}" >&2
  exit 1
fi
echo "${#files[@]} files follow .clang-format"
