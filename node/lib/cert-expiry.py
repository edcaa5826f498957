#!/usr/bin/python3
"""kubeadm-aws: list kubeadm's certificates and their time left, for kubeadm-aws-cert-renew.

Reads `kubeadm certs check-expiration -o json` on stdin. Writes one line per certificate and CA:
    NAME SECONDS_LEFT MANAGED IS_CA
MANAGED is "false" for a certificate kubeadm does not manage (externally managed), else "true";
IS_CA is "true" for a certificate authority. Certificates kubeadm reports as missing are left out.
"""
import datetime
import json
import sys


def lines(report, now):
    cas = report.get("certificateAuthorities") or []
    for cert, is_ca in [(c, False) for c in report.get("certificates") or []] + [(c, True) for c in cas]:
        if cert.get("missing"):
            continue
        when = datetime.datetime.fromisoformat(cert["expirationDate"].replace("Z", "+00:00"))
        managed = "false" if cert.get("externallyManaged") else "true"
        yield "%s %d %s %s" % (cert["name"], int((when - now).total_seconds()), managed, "true" if is_ca else "false")


def main():
    now = datetime.datetime.now(datetime.timezone.utc)
    for line in lines(json.load(sys.stdin), now):
        print(line)


if __name__ == "__main__":
    main()
