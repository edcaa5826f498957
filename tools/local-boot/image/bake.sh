#!/usr/bin/env bash
# The image build of packer/build.pkr.hcl, run inside a booted local machine (tools/local-boot/rootfs.ts):
# the same provisioner scripts in the same order, with the environment Packer gives them, except
# the steps that need the internet (listed in /var/tmp/pka/steps with their local stand-ins).
set -euo pipefail
PKA=/var/tmp/pka
RESULT=/var/lib/pka-bake/result
mkdir -p "${RESULT%/*}"
echo running >"${RESULT}"
mapfile -t vars <"${PKA}/bake.env"
mapfile -t steps <"${PKA}/steps"
for step in "${steps[@]}"; do
  echo "[bake] ${step}"
  # As build.pkr.hcl's execute_command: `sudo -E env VARS bash SCRIPT`.
  if ! env "${vars[@]}" bash "${step}"; then
    echo "failed ${step}" >"${RESULT}"
    exit 1
  fi
done
echo ok >"${RESULT}"
