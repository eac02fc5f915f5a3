# shellcheck shell=bash
# Sourced by the scripts under scripts/: what they must agree on, said once.
# - Strict mode whose failures are never silent: under plain `set -e` a
#   failing probe (`pip show` of a package not installed yet) ended
#   install-test-deps.sh with exit 1 and no word (issue 10). The ERR trap
#   names the script, line and command. A probe whose failure is the normal
#   answer must still be tested in an `if`, never left to `set -e`.
# - Where the repository and the project's venv are.
# - What "CI" means: `true` or `1` (the same rule as the Rust tests' helper,
#   tests/src/test_env.rs).

set -Eeuo pipefail
trap 'echo "${BASH_SOURCE[0]##*/}: failed (exit $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The project's own virtual environment for its Python tools (never the
# system's site-packages). TIME_SERVICE_VENV overrides it.
TIME_SERVICE_VENV=${TIME_SERVICE_VENV:-$ROOT/.venv}
export TIME_SERVICE_VENV

# The PATH the tests run with: the venv's tools (and its python3, which has
# PyYAML) first; Debian's Go where some images leave it off PATH.
test_path() {
  export PATH="$TIME_SERVICE_VENV/bin:$PATH:/usr/lib/go/bin"
}

# True under CI: CI=true or CI=1. Unset, empty, false and 0 are not; any
# other value is an error, not a guess.
is_ci() {
  case "${CI:-}" in
  true | 1) return 0 ;;
  '' | false | 0) return 1 ;;
  *)
    echo "CI=$CI: expected true or 1 (CI), false, 0 or unset (not CI)" >&2
    exit 2
    ;;
  esac
}
