#!/usr/bin/env bash
# GPU image only: the NVIDIA datacenter driver (Ubuntu's signed, precompiled "-server" branch for
# the running kernel), the NVIDIA container toolkit at the manifest's version, and containerd
# configured with the nvidia runtime as its default so that GPU pods need no RuntimeClass.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"
require_env NVIDIA_DRIVER_BRANCH NVIDIA_CONTAINER_TOOLKIT_VERSION

# The key that signs NVIDIA's container toolkit repository.
readonly NVIDIA_REPO_KEY_FINGERPRINT="C95B321B61E88C1809C4F759DDCAE044F796ECB0"
readonly KEYRING=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg

log "installing NVIDIA driver ${NVIDIA_DRIVER_BRANCH}-server for kernel $(uname -r)"
apt_install ubuntu-drivers-common
ubuntu-drivers install --gpgpu "nvidia:${NVIDIA_DRIVER_BRANCH}-server"
apt_install "nvidia-utils-${NVIDIA_DRIVER_BRANCH}-server"
modinfo -k "$(uname -r)" nvidia >/dev/null || die "no nvidia kernel module for $(uname -r)"

log "adding NVIDIA's container toolkit repository"
curl --fail --silent --show-error --location --proto '=https' --output "${PKA_WORK}/nvidia.asc" \
  https://nvidia.github.io/libnvidia-container/gpgkey
fingerprints="$(gpg --batch --show-keys --with-colons "${PKA_WORK}/nvidia.asc" | awk -F: '$1 == "fpr" { print $10 }')"
grep -qx "${NVIDIA_REPO_KEY_FINGERPRINT}" <<<"${fingerprints}" || die "unexpected NVIDIA repository key: ${fingerprints}"
gpg --batch --yes --dearmor --output "${KEYRING}" "${PKA_WORK}/nvidia.asc"
echo "deb [signed-by=${KEYRING}] https://nvidia.github.io/libnvidia-container/stable/deb/amd64 /" \
  >/etc/apt/sources.list.d/nvidia-container-toolkit.list
apt-get -o DPkg::Lock::Timeout=600 update

v="${NVIDIA_CONTAINER_TOOLKIT_VERSION}-1"
apt_install "nvidia-container-toolkit=${v}" "nvidia-container-toolkit-base=${v}" \
  "libnvidia-container-tools=${v}" "libnvidia-container1=${v}"
apt-mark hold nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools libnvidia-container1

log "configuring containerd's nvidia runtime"
nvidia-ctk runtime configure --runtime=containerd --config=/etc/containerd/config.toml --set-as-default
systemctl restart containerd
dump="$(containerd config dump)"
grep -Eq "default_runtime_name = [\"']nvidia[\"']" <<<"${dump}" || die "nvidia is not containerd's default runtime"
grep -Fq "nvidia-container-runtime" <<<"${dump}" || die "containerd has no nvidia runtime binary configured"
grep -Eq "SystemdCgroup = true" <<<"${dump}" || die "containerd lost the systemd cgroup driver"

if systemctl list-unit-files nvidia-persistenced.service >/dev/null 2>&1; then
  systemctl enable nvidia-persistenced.service
fi
