/**
 * The pure parts of the local boot's checks, on real busybox nslookup output (Debian's busybox-static,
 * the test image's tool), so the DNS check cannot pass on the server's own address.
 */
import { resolvedTo } from "../../tools/local-boot/checks";

const ANSWER = "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n\n";

test("the address after the Name line is the answer", () => {
  expect(resolvedTo(ANSWER, "kubernetes.default.svc.cluster.local")).toBe("10.96.0.1");
});

test("the server's address is never taken for an answer", () => {
  const noAnswer =
    "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can't find kubernetes.default.svc.cluster.local: NXDOMAIN\n";
  expect(resolvedTo(noAnswer, "kubernetes.default.svc.cluster.local")).toBeUndefined();
});

test("another name's answer does not count", () => {
  expect(resolvedTo(ANSWER.replace("kubernetes.default", "other.default"), "kubernetes.default.svc.cluster.local")).toBeUndefined();
});
