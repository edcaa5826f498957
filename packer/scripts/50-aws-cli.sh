#!/usr/bin/env bash
# AWS CLI v2 at a pinned version, checksum verified: bootstrap reads its secrets with it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"
require_env AWS_CLI_VERSION AWS_CLI_SHA256

fetch "https://awscli.amazonaws.com/awscli-exe-linux-x86_64-${AWS_CLI_VERSION}.zip" "${PKA_WORK}/awscli.zip" "${AWS_CLI_SHA256}"
rm -rf "${PKA_WORK}/aws"
unzip -q "${PKA_WORK}/awscli.zip" -d "${PKA_WORK}"
"${PKA_WORK}/aws/install" --install-dir /usr/local/aws-cli --bin-dir /usr/local/bin --update
