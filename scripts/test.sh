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
# The whole suite (no arguments): the Ansible converges — minutes of chroot, apt and ansible-playbook, mostly spent
# waiting on subprocesses and the disk — run in a second pytest process beside the rest, so the two cores are both
# used; one summary for both. With arguments (make test-fast, a file, -k): one process, as given.
SIDE=(tests/test_ansible_converge.py tests/test_ansible_province.py)
rm -f test-output/junit.xml test-output/junit-converge.xml
if [ $# -eq 0 ]; then
  side_start=$SECONDS
  .venv/bin/pytest -p no:cacheprovider --junitxml=test-output/junit-converge.xml "${SIDE[@]}" \
    >test-output/pytest-converge.log 2>&1 &
  side_pid=$!
  step "pytest" .venv/bin/pytest -p no:cacheprovider --junitxml=test-output/junit.xml --durations=15 \
    "${SIDE[@]/#/--ignore=}"
  wait "$side_pid"; side_status=$?
  echo; echo "==> pytest (converges, run beside the rest): ${SIDE[*]}"
  if [ $side_status -eq 0 ]; then tail -n 3 test-output/pytest-converge.log; else cat test-output/pytest-converge.log; fi
  names+=("pytest (converges)"); times+=($((SECONDS - side_start)))
  results+=("$([ $side_status -eq 0 ] && echo PASS || echo "FAIL ($side_status)")")
else
  step "pytest${*:+ $*}" .venv/bin/pytest -p no:cacheprovider --junitxml=test-output/junit.xml --durations=15 "$@"
fi

echo
echo "==================== motcua test summary ===================="
failed=0
for i in "${!names[@]}"; do
  printf '  %-22s %-10s %5ss\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
  [[ ${results[$i]} == PASS ]] || failed=1
done
if [ -f test-output/junit.xml ]; then
  .venv/bin/python - <<'PY'
import pathlib
import xml.etree.ElementTree as ET

totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
for name in ("junit.xml", "junit-converge.xml"):
    path = pathlib.Path("test-output") / name
    if path.exists():
        suite = ET.parse(path).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        for key in totals:
            totals[key] += int(suite.get(key, 0))
print(", ".join(f"{key}: {value}" for key, value in totals.items()).join(("  ", "")))
PY
fi
echo "  screenshots, tickets and other artefacts: test-output/"
echo "============================================================="
exit $failed
