#!/usr/bin/python3
"""kubeadm-aws: write the files of a bootstrap bundle.

unpack.py FORMAT ALLOWED BUNDLE: FORMAT is the only bundle format accepted, ALLOWED a file of the path
prefixes a file may be written under, one per line (the env file names both: KUBEADM_AWS_BUNDLE_FORMAT,
KUBEADM_AWS_BUNDLE_PATHS), BUNDLE the JSON file. KUBEADM_AWS_ROOT (tests) writes under another root.
"""
import json
import os
import sys
import tempfile

ROOT = os.environ.get("KUBEADM_AWS_ROOT", "/")


def main(expected_format, allowed, path):
    with open(allowed, encoding="utf-8") as f:
        allowed = tuple(line.strip() for line in f if line.strip())
    with open(path, encoding="utf-8") as f:
        bundle = json.load(f)
    if bundle.get("format") != expected_format:
        sys.exit("unpack: unknown bundle format")
    for item in bundle["files"]:
        target = item["path"]
        if os.path.normpath(target) != target or not allowed or not target.startswith(allowed):
            sys.exit("unpack: refusing path " + target)
        dest = os.path.join(ROOT, target.lstrip("/"))
        os.makedirs(os.path.dirname(dest), mode=0o755, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(item["content"])
            os.chmod(tmp, int(item["permissions"], 8))
            if os.path.exists(dest):
                # Keep the owner a boot hook gave (etcd reads its keys as etcd).
                st = os.stat(dest)
                os.chown(tmp, st.st_uid, st.st_gid)
            os.replace(tmp, dest)
        except BaseException:
            os.unlink(tmp)
            raise
    print("unpack: wrote %d files for %s" % (len(bundle["files"]), bundle.get("role", "?")))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: unpack.py FORMAT ALLOWED_PATHS_FILE BUNDLE")
    main(sys.argv[1], sys.argv[2], sys.argv[3])
