# Sourced by tools/install.sh and tools/install_cuml.sh (not run on its own).
# make_venv VENV: VENV as a Python 3.11 virtual environment with pip 25.3 (idempotent).
make_venv() {
  local venv=$1 py="" cand
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      py=$cand; break
    fi
  done
  [ -n "$py" ] || { echo "error: Python 3.11 is required (python3.11 not found)" >&2; exit 1; }
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  local pip_version
  pip_version=$("$venv/bin/python" -m pip --version 2>/dev/null || true)
  case "$pip_version" in
    "pip 25.3 "*) ;;
    *) "$venv/bin/python" -m pip install -q --upgrade "pip==25.3" ;;
  esac
}
