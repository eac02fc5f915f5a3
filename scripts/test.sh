#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test
# of the workspace (unit, integration, doctests, end-to-end, manifests, the
# pod under podman). README's quick start and .ci/run both call this file.
# Under CI (CI=true or CI=1) a missing tool fails the run, and the install
# itself is proven on a fresh Debian root (scripts/check-fresh-install.sh).
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"
if is_ci; then export CI=true; else export CI=false; fi

scripts/install-test-deps.sh
if [ "$CI" = true ]; then
  # The install from nothing, proven on a fresh Debian 12 root.
  scripts/check-fresh-install.sh
fi
test_path

# Release binaries first: the end-to-end tests run the real programs.
cargo build --release --workspace --bins
export TIME_SERVICE_BIN_DIR="$PWD/target/release"

cargo test --workspace --release --all-targets
cargo test --workspace --release --doc
