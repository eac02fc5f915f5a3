#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test
# of the workspace (unit, integration, doctests, end-to-end, manifests, the
# pod under podman). README's quick start and .ci/run both call this file.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-false}"
export PATH="$PWD/.venv/bin:$PATH:/usr/lib/go/bin"

scripts/install-test-deps.sh

# Release binaries first: the end-to-end tests run the real programs.
cargo build --release --workspace --bins
export TIME_SERVICE_BIN_DIR="$PWD/target/release"

cargo test --workspace --release --all-targets
cargo test --workspace --release --doc
