#!/usr/bin/env bash
# Leaves a generic image: no build downloads, no package lists, no logs, no machine identity,
# no SSH keys. cloud-init runs afresh on every instance launched from the image.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"

rm -rf "${PKA_WORK}" /var/tmp/pka
apt-get clean
rm -rf /var/lib/apt/lists/*
rm -f /etc/ssh/ssh_host_*
rm -f /root/.ssh/authorized_keys /home/ubuntu/.ssh/authorized_keys
find /var/log -type f -name '*.log' -exec truncate -s 0 {} +
journalctl --rotate >/dev/null 2>&1 || true
journalctl --vacuum-time=1s >/dev/null 2>&1 || true
cloud-init clean --logs --machine-id
sync
