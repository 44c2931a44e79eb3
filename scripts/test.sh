#!/usr/bin/env bash
# `make test`: lint, type-check and the whole test suite, then one summary table. Exit status 0 only if all pass.
# Arguments go to pytest: `make test-fast` is `scripts/test.sh -m "not slow"`.
set -uo pipefail
cd "$(dirname "$0")/.."
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy PYTHONDONTWRITEBYTECODE=1
mkdir -p test-output
names=(); results=(); times=()

step() {  # step NAME COMMAND...
  local name=$1; shift
  echo; echo "==> $name: $*"
  local start=$SECONDS
  "$@"; local status=$?
  names+=("$name"); results+=("$([ $status -eq 0 ] && echo PASS || echo "FAIL ($status)")"); times+=($((SECONDS - start)))
}

step "ruff (lint)" .venv/bin/ruff check .
step "mypy (types)" .venv/bin/mypy
step "pytest${*:+ $*}" .venv/bin/pytest -p no:cacheprovider --junitxml=test-output/junit.xml --durations=15 "$@"

echo
echo "==================== motcua test summary ===================="
failed=0
for i in "${!names[@]}"; do
  printf '  %-22s %-10s %5ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
  [[ ${results[$i]} == PASS ]] || failed=1
done
if [ -f test-output/junit.xml ]; then
  .venv/bin/python - <<'PY'
import xml.etree.ElementTree as ET
suite = ET.parse("test-output/junit.xml").getroot()
suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
get = lambda k: int(suite.get(k, 0))
print(f"  tests: {get('tests')}, failures: {get('failures')}, errors: {get('errors')}, skipped: {get('skipped')}")
PY
fi
echo "  screenshots, tickets and other artefacts: test-output/"
echo "============================================================="
exit $failed
