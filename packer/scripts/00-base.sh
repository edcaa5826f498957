#!/usr/bin/env bash
# The seed OS: wait for first-boot cloud-init, stop background package changes (an image changes
# only by a rebuild), apply the seed's updates and install what kubeadm and the nodes need.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"

log "waiting for cloud-init to finish"
rc=0
cloud-init status --wait >/dev/null || rc=$?
# 2 means "finished with recoverable errors"; anything else is a broken seed.
if [ "${rc}" -ne 0 ] && [ "${rc}" -ne 2 ]; then die "cloud-init status exited ${rc}"; fi

log "disabling unattended upgrades and apt timers"
systemctl disable --now apt-daily.timer apt-daily-upgrade.timer unattended-upgrades.service || true
cat >/etc/apt/apt.conf.d/20auto-upgrades <<'CONF'
APT::Periodic::Update-Package-Lists "0";
APT::Periodic::Unattended-Upgrade "0";
CONF

log "applying the seed's updates"
apt-get -o DPkg::Lock::Timeout=600 update
apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold dist-upgrade -y

log "installing node prerequisites"
apt_install ca-certificates curl gnupg unzip jq conntrack socat ethtool ipset iptables \
  nfs-common nvme-cli chrony

# etcd and certificate checks need a good clock: the Amazon Time Sync Service, link-local.
cat >/etc/chrony/sources.d/amazon-time-sync.sources <<'CONF'
server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4
CONF
systemctl enable chrony
