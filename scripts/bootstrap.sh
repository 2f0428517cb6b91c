#!/usr/bin/env bash
# Create .venv with Python 3.10 (Rasa 3.6 needs it) and install the pinned requirements.
# Finds the interpreter by itself: $PYTHON, python3.10 on PATH, pyenv's 3.10.x, python3.
# Re-installs only when a requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
is_py310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; }

find_python() {
  local c
  if [ -n "${PYTHON:-}" ]; then
    if is_py310 "$PYTHON"; then echo "$PYTHON"; return 0; fi
    echo "bootstrap: \$PYTHON=$PYTHON is not a working Python 3.10" >&2
  fi
  for c in python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if command -v "$c" >/dev/null 2>&1 && is_py310 "$(command -v "$c")"; then
      command -v "$c"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    local root v
    root=$(pyenv root)
    for v in $(ls -1 "$root/versions" 2>/dev/null | grep -E '^3\.10\.[0-9]+$' | sort -t. -k3 -n -r); do
      c="$root/versions/$v/bin/python"
      if is_py310 "$c"; then echo "$c"; return 0; fi
    done
  fi
  if command -v python3 >/dev/null 2>&1 && is_py310 "$(command -v python3)"; then
    command -v python3; return 0
  fi
  return 1
}

if [ "${1:-}" = "--which-python" ]; then  # print the interpreter it would use, and stop
  find_python || { echo "bootstrap: no Python 3.10 found" >&2; exit 1; }
  exit 0
fi

if [ -x "$VENV/bin/python" ] && ! is_py310 "$VENV/bin/python"; then
  echo "bootstrap: $VENV is not Python 3.10; recreating it" >&2
  rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
  if ! PY=$(find_python); then
    cat >&2 <<'MSG'
bootstrap: no Python 3.10 found. Rasa 3.6 runs only on Python 3.10 (not 3.11 or newer).
Install one of these, then run the command again:
  - pyenv:          pyenv install 3.10.13
  - Debian/Ubuntu:  apt-get install python3.10 python3.10-venv   (deadsnakes PPA on Ubuntu)
  - macOS:          brew install python@3.10
or point to an existing interpreter:  PYTHON=/path/to/python3.10 make run
MSG
    exit 1
  fi
  echo "bootstrap: creating $VENV with $PY ($("$PY" --version 2>&1))"
  "$PY" -m venv "$VENV"
fi

stamp="$VENV/.requirements.sha256"
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing pinned requirements into $VENV (first run takes a few minutes)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements.txt -r requirements-dev.txt
  "$VENV/bin/python" -m pip check
  echo "$want" > "$stamp"
fi
