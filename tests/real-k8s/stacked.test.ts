/**
 * A real control plane from the dev stack's rendered configuration (stacked etcd): kubeadm 1.36's
 * real `init` runs control-plane-0's init.yaml with the Pulumi-minted CAs, the static Pods kubeadm
 * writes run with exactly its command lines (the rendered AuthenticationConfiguration,
 * EncryptionConfiguration and audit policy among their flags), and a worker of the general pool
 * joins with the real `kubeadm join` and kubelet. What can fail here: a defect only a real API server,
 * a real token discovery or a real TLS bootstrap shows (tests/real-k8s/machines.ts says how the
 * machines work; they need root).
 */
import { writeFileSync } from "fs";
import { k8sBin } from "../helpers/k8s-bin";
import { ANONYMOUS_PATHS } from "../../components/bootstrap/apiserver-files";
import { CERT_RENEWAL, certRenewScript } from "../../components/bootstrap/cert-renewal";
import { FILES, UNITS } from "../../components/bootstrap/paths";
import { stopAll } from "./machines";
import {
  fakeSystemctl,
  install,
  kubeadmInit,
  machinePath,
  Machine,
  planWithRealCerts,
  Vpc,
  NO_RUNTIME_PREFLIGHT,
  type Planned,
} from "./cluster";
import { fileOf } from "./role-files";
import { envWithOverrides } from "../helpers/node-env";

jest.setTimeout(600_000);

const CP_IP = "10.0.64.10";
const WORKER_IP = "10.0.80.20";
const nodeName = (ip: string) => `ip-${ip.replace(/\./g, "-")}.eu-west-1.compute.internal`;

let plan: Planned;
let vpc: Vpc;
let cp: Machine;
let init: { status: number; output: string };

/** kubectl on the control-plane machine with the kubeconfig the PROGRAM minted (not kubeadm's admin.conf). */
function kubectl(args: string[], input?: string) {
  return cp.run("kubectl", ["--kubeconfig", "/etc/kubernetes/pulumi-admin.conf", ...args], { env: { PATH: machinePath() }, input });
}

/** An anonymous HTTPS request from the control-plane machine: the HTTP status code. */
function anonymous(p: string): number {
  const r = cp.run("curl", [
    "-s",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
    "--cacert",
    "/etc/kubernetes/pki/ca.crt",
    `https://${plan.apiName}:6443${p}`,
  ]);
  return Number(r.stdout);
}

beforeAll(async () => {
  plan = await planWithRealCerts({ stack: "dev" });
  vpc = await Vpc.create();
  cp = await Machine.create(vpc, nodeName(CP_IP), { ips: [CP_IP], hosts: [`${CP_IP} ${plan.apiName}`] });
  install(cp, plan.files("control-plane-0"));
  cp.write("/etc/kubernetes/pulumi-admin.conf", plan.adminKubeconfig, 0o600);
  init = await kubeadmInit(cp);
});

afterAll(async () => {
  await cp?.stop();
  stopAll();
});

describe("kubeadm init of the dev stack's control-plane-0, on a real control plane", () => {
  test("kubeadm init succeeds with the rendered init.yaml", () => {
    expect({ status: init.status, tail: init.status === 0 ? "" : init.output.slice(-3000) }).toEqual({ status: 0, tail: "" });
  });

  test("/readyz answers", () => {
    const r = cp.run("curl", ["-s", "--cacert", "/etc/kubernetes/pki/ca.crt", `https://${plan.apiName}:6443/readyz`]);
    expect(r.stdout).toBe("ok");
  });

  test("the API certificate kubeadm issued from the Pulumi CA verifies for the stable API name", () => {
    const r = cp.run(
      "openssl",
      [
        "s_client",
        "-connect",
        `${CP_IP}:6443`,
        "-servername",
        plan.apiName,
        "-verify_hostname",
        plan.apiName,
        "-CAfile",
        "/etc/kubernetes/pki/ca.crt",
        "-verify_return_error",
      ],
      { input: "" },
    );
    expect(r.stdout).toContain("Verify return code: 0 (ok)");
  });

  test("the admin kubeconfig the program mints authenticates, as kubeadm:cluster-admins, and may do anything", () => {
    const who = kubectl(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"]);
    expect(who.stderr).toBe("");
    expect(who.stdout).toContain("kubeadm-aws-admin");
    expect(who.stdout).toContain("kubeadm:cluster-admins");
    expect(kubectl(["auth", "can-i", "*", "*", "--all-namespaces"]).stdout.trim()).toBe("yes");
  });

  test("anonymous requests reach the health endpoints and cluster-info, and nothing else", () => {
    // Named on its own, not only through ANONYMOUS_PATHS: without it every join fails at discovery with 401.
    const clusterInfo = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
    expect({
      path: clusterInfo,
      why: "kubeadm token discovery reads cluster-info with no credentials",
      status: anonymous(clusterInfo),
    }).toEqual({ path: clusterInfo, why: "kubeadm token discovery reads cluster-info with no credentials", status: 200 });
    for (const p of ANONYMOUS_PATHS) expect([p, anonymous(p)]).toEqual([p, 200]);
    for (const p of [
      "/api",
      "/apis",
      "/version",
      "/metrics",
      "/openapi/v2",
      "/api/v1/namespaces/kube-public/configmaps",
      "/api/v1/namespaces/kube-system/secrets",
      "/api/v1/namespaces/kube-system/configmaps/kubeadm-config",
    ]) {
      expect([p, anonymous(p)]).toEqual([p, 401]);
    }
  });

  test("a Secret written through the API is encrypted in etcd (secretbox), its value nowhere in plain text", () => {
    const canary = "canary-value-that-must-not-be-stored-in-plain-text";
    const created = kubectl(["create", "secret", "generic", "encryption-probe", "-n", "default", `--from-literal=probe=${canary}`]);
    expect(created.stderr).toBe("");
    const raw = cp.run(k8sBin("etcdctl"), [
      "--endpoints=https://127.0.0.1:2379",
      "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
      "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt",
      "--key=/etc/kubernetes/pki/etcd/healthcheck-client.key",
      "get",
      "/registry/secrets/default/encryption-probe",
      "--print-value-only",
    ]);
    expect(raw.status).toBe(0);
    expect(raw.stdout.startsWith("k8s:enc:secretbox:v1:key1:")).toBe(true);
    expect(raw.stdout).not.toContain(canary);
    expect(kubectl(["get", "secret", "encryption-probe", "-n", "default", "-o", "jsonpath={.data.probe}"]).stdout).toBe(
      Buffer.from(canary).toString("base64"),
    );
  });
});

/**
 * The environment a node script runs with on the machine: the rendered bootstrap.env (installed at its
 * path) plus this test's overrides, in a second env file the script is pointed at, as its unit points it
 * at bootstrap.env.
 */
function scriptEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const testEnv = `${FILES.env}.test`;
  // The shell helpers from the package (the machine has no private /usr/local/lib).
  cp.write(testEnv, envWithOverrides(cp.read(FILES.env), overrides));
  return { PATH: machinePath(), KUBEADM_AWS_ENV: testEnv };
}

describe("the token-sync script against the real API server", () => {
  const env = () => scriptEnv({ KUBEADM_AWS_FETCH: "/bin/true" });
  const tokenId = () => cp.read(FILES.token).trim().split(".")[0]!;
  const listed = () =>
    cp.run("kubeadm", ["token", "list", "--kubeconfig", "/etc/kubernetes/admin.conf", "-o", 'jsonpath={.token}{" "}{.expires}{"\\n"}'], {
      env: env(),
    }).stdout;

  test("the join token kubeadm init created is the program's, and the script leaves a fresh one alone", () => {
    expect(listed()).toContain(tokenId());
    const r = cp.run(FILES.tokenSyncScript, [], { env: env() });
    expect({ status: r.status, err: r.status === 0 ? "" : r.stderr }).toEqual({ status: 0, err: "" });
    expect(r.stdout + r.stderr).toContain(`join token ${tokenId()} is valid until`);
  });

  test("a missing token is re-created with the program's value, one about to expire is renewed", () => {
    cp.must("kubeadm", ["token", "delete", "--kubeconfig", "/etc/kubernetes/admin.conf", tokenId()], { env: env() });
    expect(listed()).not.toContain(tokenId());
    const r = cp.run(FILES.tokenSyncScript, [], { env: env() });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toContain("(re)created");
    expect(listed()).toContain(tokenId());
    // About to expire: re-created with an hour left, then renewed to the full TTL.
    cp.must("kubeadm", ["token", "delete", "--kubeconfig", "/etc/kubernetes/admin.conf", tokenId()], { env: env() });
    cp.must("kubeadm", ["token", "create", "--kubeconfig", "/etc/kubernetes/admin.conf", cp.read(FILES.token).trim(), "--ttl", "1h"], {
      env: env(),
    });
    const renewed = cp.run(FILES.tokenSyncScript, [], { env: env() });
    expect(renewed.stdout + renewed.stderr).toContain("(re)created");
    const expires = listed()
      .split("\n")
      .find((l) => l.startsWith(tokenId()))!
      .split(" ")[1]!;
    expect((Date.parse(expires) - Date.now()) / 3600_000).toBeGreaterThan(23);
  });
});

describe("certificate renewal against the real control plane", () => {
  const env = (days: number) =>
    scriptEnv({
      KUBEADM_AWS_CERT_RENEW_DAYS: String(days),
      KUBEADM_AWS_MANIFEST_PAUSE: "2",
      KUBEADM_AWS_CERT_METRICS: "/var/lib/kubelet/certs.prom",
    });
  const serial = (f: string) => cp.run("openssl", ["x509", "-in", f, "-noout", "-serial", "-enddate"]).stdout;

  test("the node carries the renewal script and enables its timer after kubeadm", () => {
    const files = plan.files("control-plane-0");
    expect(fileOf(files, CERT_RENEWAL.script)).toBe(certRenewScript());
    expect(fileOf(files, FILES.env)).toMatch(new RegExp(`^KUBEADM_AWS_ENABLE_UNITS=.*${UNITS.certRenewTimer.replace(".", "\\.")}`, "m"));
  });

  test("nothing is renewed while every certificate has more than the window left; expiry is reported", () => {
    const before = serial("/etc/kubernetes/pki/apiserver.crt");
    const r = cp.run(CERT_RENEWAL.script, [], { env: env(60) });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/apiserver expires in 36[45] days/);
    expect(r.stdout + r.stderr).not.toContain("renewing");
    expect(serial("/etc/kubernetes/pki/apiserver.crt")).toBe(before);
    expect(cp.read("/var/lib/kubelet/certs.prom")).toMatch(/^kubeadm_aws_certificate_expiry_seconds\{name="apiserver",ca="false"\} \d+$/m);
  });

  test("inside the window: every kubeadm certificate is renewed, the static Pods restart, and the API serves the new certificate", () => {
    const before = serial("/etc/kubernetes/pki/apiserver.crt");
    const r = cp.run(CERT_RENEWAL.script, [], { env: env(400), timeout: 600_000 });
    expect({ status: r.status, out: r.status === 0 ? "" : `${r.stdout}\n${r.stderr}` }).toEqual({ status: 0, out: "" });
    expect(r.stdout + r.stderr).toContain("renewing every kubeadm certificate");
    for (const pod of ["etcd", "kube-scheduler", "kube-controller-manager", "kube-apiserver"])
      expect(r.stdout + r.stderr).toContain(`${pod} restarted and healthy`);
    const after = serial("/etc/kubernetes/pki/apiserver.crt");
    expect(after).not.toBe(before);
    const served = cp.run("sh", [
      "-c",
      `openssl s_client -connect ${CP_IP}:6443 -servername ${plan.apiName} </dev/null 2>/dev/null | openssl x509 -noout -serial -enddate`,
    ]);
    expect(served.stdout).toBe(after);
    // Renewal keeps the stable API name (kubeadm renews from the existing certificate).
    expect(cp.run("openssl", ["x509", "-in", "/etc/kubernetes/pki/apiserver.crt", "-noout", "-ext", "subjectAltName"]).stdout).toContain(
      `DNS:${plan.apiName}`,
    );
    expect(kubectl(["get", "--raw", "/readyz"]).stdout).toBe("ok");
    expect(cp.run("test", ["-e", CERT_RENEWAL.pendingRestart]).status).not.toBe(0);
  });

  test("restarts that did not finish are done on the next run, though the files no longer look due", () => {
    cp.write(CERT_RENEWAL.pendingRestart, "");
    const r = cp.run(CERT_RENEWAL.script, [], { env: env(60), timeout: 600_000 });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain("renewing every kubeadm certificate");
    expect(r.stdout + r.stderr).toContain("restarting the static Pods after an earlier renewal");
    expect(r.stdout + r.stderr).toContain("kube-apiserver restarted and healthy");
    expect(cp.run("test", ["-e", CERT_RENEWAL.pendingRestart]).status).not.toBe(0);
  });
});

describe("a worker of the general pool joins with the real kubeadm join and kubelet", () => {
  let worker: Machine;
  let join: Promise<{ status: number; stdout: string; stderr: string }>;

  beforeAll(async () => {
    worker = await Machine.create(vpc, nodeName(WORKER_IP), { ips: [WORKER_IP], hosts: [`${CP_IP} ${plan.apiName}`] });
    const files = plan.files("worker-general");
    expect(fileOf(files, FILES.joinConfig)).not.toContain("<secret:");
    install(worker, files);
    // This host runs cgroup v1 (EC2 nodes run v2): the kubelet >= 1.35 refuses v1 unless told.
    worker.write("/usr/local/sbin/systemctl", fakeSystemctl(k8sBin("kubelet"), ["--fail-cgroupv1=false"]), 0o755);
    writeFileSync(worker.file("/var/log/kubernetes/kubelet.log"), "");
    // The image runs containerd before the boot (Debian's here: the kubelet validates the CRI before it bootstraps).
    worker.start("containerd", "containerd", []);
    const up = Date.now() + 20_000;
    while (worker.run("test", ["-S", "/run/containerd/containerd.sock"]).status !== 0 && Date.now() < up)
      await new Promise((r) => setTimeout(r, 200));
    join = worker.runAsync(
      "kubeadm",
      ["join", "--config", FILES.joinConfig, `--ignore-preflight-errors=${NO_RUNTIME_PREFLIGHT.join(",")}`],
      { env: { PATH: machinePath() }, timeout: 420_000 },
    );
  });

  afterAll(async () => {
    await worker?.stop();
  });

  test("token discovery and TLS bootstrap: the node's client certificate is issued by the cluster CA", async () => {
    const deadline = Date.now() + 180_000;
    let csr = "";
    while (Date.now() < deadline) {
      csr = kubectl([
        "get",
        "csr",
        "-o",
        'jsonpath={range .items[*]}{.spec.username}|{.spec.signerName}|{.status.conditions[0].type}|{.status.certificate}{"\\n"}{end}',
      ]).stdout;
      if (
        /\|kubernetes\.io\/kube-apiserver-client-kubelet\|Approved\|\S+/.test(csr) &&
        worker.run("test", ["-s", "/etc/kubernetes/kubelet.conf"]).status === 0 &&
        // The kubelet stores its certificate a moment after the CSR shows Approved (seen under load).
        worker.run("test", ["-s", "/var/lib/kubelet/pki/kubelet-client-current.pem"]).status === 0
      )
        break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const tokenId = cp.read(FILES.token).trim().split(".")[0]!;
    if (!csr.includes("Approved")) {
      await worker.stop();
      const r = await join;
      // Only what explains the failure: kubeadm's output and the kubelet's log.
      throw new Error(
        `no approved CSR; kubeadm join:\n${r.stdout.slice(-2500)}\n${r.stderr.slice(-2500)}\nkubelet:\n${worker.read("/var/log/kubernetes/kubelet.log").slice(-4000)}`,
      );
    }
    expect(csr).toMatch(new RegExp(`^system:bootstrap:${tokenId}\\|kubernetes\\.io/kube-apiserver-client-kubelet\\|Approved\\|\\S+`, "m"));
    const cert = worker.run("openssl", ["x509", "-in", "/var/lib/kubelet/pki/kubelet-client-current.pem", "-noout", "-subject", "-issuer"]);
    expect(cert.stdout).toMatch(
      new RegExp(`subject=O\\s*=\\s*system:nodes, CN\\s*=\\s*system:node:${nodeName(WORKER_IP).replace(/\./g, "\\.")}\n`),
    );
    expect(cert.stdout).toMatch(/issuer=O\s*=\s*dev, CN\s*=\s*kubernetes\n/);
    const verify = worker.run("sh", [
      "-c",
      "openssl verify -CAfile /etc/kubernetes/pki/ca.crt /var/lib/kubelet/pki/kubelet-client-current.pem",
    ]);
    expect(verify.stdout).toContain(": OK");
  });

  test("kubeadm join got through discovery with the program's token and CA hash", async () => {
    // The kubelet stops for lack of a container runtime; kubeadm then waits for it: stop the wait.
    await worker.stop();
    const r = await join;
    const out = `${r.stdout}\n${r.stderr}`;
    expect(out).not.toMatch(/401|Unauthorized|failed to validate|cluster CA found in cluster-info/i);
    expect(out).toContain("[kubelet-start] Starting the kubelet");
  });
});
