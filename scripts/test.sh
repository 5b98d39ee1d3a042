#!/usr/bin/env bash
# The test command of the README: set up, build, run every test.
# Root-only tests (namespaces, loop devices) run when root, else say why they skip.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx vitest run "$@"
