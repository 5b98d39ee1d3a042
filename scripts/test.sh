#!/usr/bin/env bash
# The test command of the README: set up, build, run every test.
# Root-only tests (namespaces, loop devices) run when root, else say why they skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
report=$(mktemp /tmp/mccs-vitest-XXXXXX.json)
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line: "tests: N passed, N failed, N skipped".
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped`);
' "$report" || true
exit "$status"
