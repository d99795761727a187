#!/usr/bin/env bash
# Verify that the committed support-form bundle (channels_app/static/support/)
# is exactly what the current sources build to.
#
#   1. npm ci        — only if node_modules is missing or package*.json changed
#   2. npm test      — vitest run
#   3. vite build    — into a temporary directory (FTE_SUPPORT_OUT_DIR)
#   4. diff          — against channels_app/static/support/
#
# Usage: bash frontend/check-bundle.sh [--skip-tests]
set -euo pipefail

FRONTEND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$FRONTEND_DIR/.." && pwd)"
BUNDLE_DIR="$REPO_DIR/channels_app/static/support"
RUN_TESTS=1

for arg in "$@"; do
  case "$arg" in
    --skip-tests) RUN_TESTS=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

cd "$FRONTEND_DIR"

# --- 1. dependencies -------------------------------------------------------
stamp="node_modules/.fte-deps.sha256"
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [[ ! -d node_modules || ! -f "$stamp" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "==> npm ci (node_modules missing or stale)"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
else
  echo "==> node_modules up to date"
fi

# --- 2. tests --------------------------------------------------------------
if [[ "$RUN_TESTS" == 1 ]]; then
  echo "==> npm test"
  npm test
fi

# --- 3. build into a temp dir ---------------------------------------------
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "==> vite build (into temp dir)"
FTE_SUPPORT_OUT_DIR="$tmp/support" npx --no-install vite build --logLevel warn

# --- 4. compare ------------------------------------------------------------
if [[ ! -d "$BUNDLE_DIR" ]]; then
  echo "missing $BUNDLE_DIR" >&2
  echo "bundle is stale: run \`make frontend\`" >&2
  exit 1
fi
if ! diff -rq "$tmp/support" "$BUNDLE_DIR" >"$tmp/diff.txt" 2>&1; then
  sed "s|$tmp/support|<fresh build>|g; s|$REPO_DIR/||g" "$tmp/diff.txt" >&2
  echo "bundle is stale: run \`make frontend\`" >&2
  exit 1
fi

echo "==> bundle is up to date:"
(cd "$BUNDLE_DIR" && sha256sum -- *)
