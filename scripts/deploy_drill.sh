#!/bin/sh
# Deployment drill (docs/RUNBOOK.md section 15): install into the ops/README.md layout under ROOT (default: a
# new temporary folder) as the current user and run every ops/ unit's commands once in DRY_RUN.
# Usage: scripts/deploy_drill.sh [ROOT]   (PYTHON picks the interpreter; default: python3)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
exec "${PYTHON:-python3}" "$here/scripts/deploy_drill.py" "$@"
