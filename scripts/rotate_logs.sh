#!/usr/bin/env bash
# Rotate every *.log of a folder: x.log becomes x.log.1, x.log.1 becomes x.log.2 ..., and the
# copies beyond KEEP are deleted. Usage: scripts/rotate_logs.sh DIR KEEP
set -euo pipefail
dir=${1:?folder}; keep=${2:?how many copies to keep}
shopt -s nullglob
for log in "$dir"/*.log; do
  rm -f "$log.$keep"
  for ((i = keep - 1; i >= 1; i--)); do
    if [[ -e "$log.$i" ]]; then mv "$log.$i" "$log.$((i + 1))"; fi
  done
  mv "$log" "$log.1"
done
