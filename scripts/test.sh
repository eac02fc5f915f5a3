#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test
# of the workspace (unit, integration, doctests, end-to-end, manifests, the
# pod under podman, the shell lint). README's quick start and .ci/run both
# call this file.
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

# The binaries under test are the ones the image ships, built as the
# Dockerfile builds them; every test that runs a binary runs these (the
# crates' own tests too: tests/src/test_env.rs).
echo "test: building the shipped binaries (scripts/static-build.sh)" >&2
TIME_SERVICE_BIN_DIR=$(scripts/static-build.sh -p time-server -p log-sidecar)
export TIME_SERVICE_BIN_DIR

# The test harnesses: their own profile, release without its LTO and single
# codegen unit (which cost minutes per test binary and ship nothing), at
# opt-level 1 (Cargo.toml, [profile.release-tests], says why).
cargo test --workspace --profile release-tests --all-targets
cargo test --workspace --profile release-tests --doc
