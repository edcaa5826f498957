#!/usr/bin/env bash
# Local stand-in for packer/scripts/50-aws-cli.sh (whose AWS CLI v2 zip is a download): the AWS CLI
# from the wheels the local build put in the mirror (PyPI), in its own venv, as /usr/local/bin/aws.
# It honours AWS_ENDPOINT_URL and endpoint_url, which the local machines use to reach moto.
# shellcheck source=/dev/null
. "${PKA_LIB:-/var/tmp/pka/lib.sh}"
require_env AWS_CLI_VERSION PKA_MIRROR_DIR
python3 -m venv /usr/local/aws-cli
/usr/local/aws-cli/bin/pip install --quiet --no-index --find-links "${PKA_MIRROR_DIR}/wheels" "awscli==${AWS_CLI_VERSION}"
ln -sf /usr/local/aws-cli/bin/aws /usr/local/bin/aws
aws --version
