#!/usr/bin/env bash
# The demo of the README's quick start: set up (Debian packages when root,
# npm ci, build), compile the test lab, then run scripts/demo.mjs:
#   as root: a real two-node failover in network namespaces (node power-off);
#   otherwise: two engines on 127.0.0.x, a critical application that fails
#   for good and the group moving to node2.
# Everything the demo creates is removed at the end, on failure and on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if ! command -v node >/dev/null 2>&1; then
  echo "demo: Node.js 20 or later is needed (node not found on PATH)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "demo: Node.js 20 or later is needed (found $(node --version))" >&2
  exit 1
fi

echo "demo: setting up (scripts/setup.sh)…"
if ! bash scripts/setup.sh; then
  echo "demo: setup failed (see above)" >&2
  exit 1
fi

# The lab library is TypeScript under test/lab: compile it beside the build.
echo "demo: compiling the lab (tsconfig.lab.json → dist-lab/)…"
if ! npx --no-install tsc -p tsconfig.lab.json; then
  echo "demo: could not compile test/lab (tsconfig.lab.json)" >&2
  exit 1
fi
cp test/lab/*.mjs test/lab/*.pl dist-lab/test/lab/

demo_dir=$(mktemp -d "${TMPDIR:-/tmp}/mccs-demo.XXXXXX")
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  # demo.mjs removes what it created, also on Ctrl-C; this is the fallback
  # for a demo.mjs that was killed outright.
  if [ "$(id -u)" -eq 0 ] && { ip netns list 2>/dev/null | grep -q '^mcldemo-' || [ -e "${TMPDIR:-/tmp}/mcldemo" ]; }; then
    echo "demo: removing the leftover lab" >&2
    node dist-lab/test/lab/cleanup.js demo >&2 || true
  fi
  rm -rf "$demo_dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo
# In the foreground: Ctrl-C reaches demo.mjs, which cleans up and exits.
MCCS_DEMO_DIR="$demo_dir" node "$repo/scripts/demo.mjs"
