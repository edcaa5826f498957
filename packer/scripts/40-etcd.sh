#!/usr/bin/env bash
# etcd, etcdctl and etcdutl at the manifest's version, checksum verified. Only the binaries: the
# etcd role renders its own configuration and unit at boot; nothing runs etcd on other roles.
# etcdutl is required: etcd 3.6 removed "etcdctl snapshot restore", and etcd-restore runs etcdutl.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"
require_env ETCD_VERSION ETCD_SHA256

fetch "https://github.com/etcd-io/etcd/releases/download/v${ETCD_VERSION}/etcd-v${ETCD_VERSION}-linux-amd64.tar.gz" \
  "${PKA_WORK}/etcd.tar.gz" "${ETCD_SHA256}"
tar -C "${PKA_WORK}" -xzf "${PKA_WORK}/etcd.tar.gz"
for bin in etcd etcdctl etcdutl; do
  install -m 0755 "${PKA_WORK}/etcd-v${ETCD_VERSION}-linux-amd64/${bin}" "/usr/local/bin/${bin}"
done
