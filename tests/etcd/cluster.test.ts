/** Etcd layouts under mocks: members, AZ spread, volumes, certificates, identity, ordering, kubeadm block, reachability. */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { ColocatedEtcd, EtcdCluster, planMembers, stackedEtcdNodeFiles } from "../../components/etcd";
import { canReadSecret, iamAllows, type PolicyDocument } from "../../components/iam";
import { parseEnvFile } from "../../components/bootstrap/env-file";
import { clusterRules, instanceGroups, isAllowed, type Role } from "../../components/security";
import type { Recording } from "../../tools/plan/run";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { BOOTSTRAP_KEY, BUCKET, CA, SUBNETS, etcdSpec, recordEtcd } from "./fixtures";

const INSTANCE = "aws:ec2/instance:Instance";
const VOLUME = "aws:ebs/volume:Volume";
const ATTACH = "aws:ec2/volumeAttachment:VolumeAttachment";
const ENI = "aws:ec2/networkInterface:NetworkInterface";
const CERT = "tls:index/locallySignedCert:LocallySignedCert";
const CSR = "tls:index/certRequest:CertRequest";

const BUNDLE = "aws:secretsmanager/secretVersion:SecretVersion";
type BundleFile = { path: string; permissions: string; content: string };
/** Member n's bundle as stored in its secret (real values). */
const bundleOf = (rec: Recording, n: number): BundleFile[] =>
  (JSON.parse(named(rec, BUNDLE, `etcd-etcd-${n}-bundle`).rawInputs.secretString as string) as { files: BundleFile[] }).files;
const policiesOf = (rec: Recording, role: string): PolicyDocument[] =>
  ofType(rec, "aws:iam/rolePolicy:RolePolicy")
    .filter((p) => inputs(p).role === role)
    .map((p) => JSON.parse(inputs(p).policy as string) as PolicyDocument);

const LAYOUTS = [
  ["on-host", 1],
  ["on-host", 3],
  ["on-host", 5],
  ["on-host", 7],
  ["containerized", 1],
  ["containerized", 3],
  ["containerized", 5],
  ["containerized", 7],
] as const;

describe("EtcdCluster (dedicated)", () => {
  test.each(LAYOUTS)("%s, %i member(s): instances, AZ spread, volumes, certificates, DNS, artifacts", async (runtime, members) => {
    const spec = etcdSpec({
      topology: "dedicated",
      runtime,
      members,
      instanceType: "i3en.large",
      volume: { type: "gp3", sizeGiB: 80, iops: 6000, throughputMiBps: 250 },
    });
    const rec = await recordEtcd(spec);
    expect(rec.errors).toEqual([]);
    const plan = planMembers({ cluster: "prod", domain: "k8s.example.internal", members, subnetCidrs: SUBNETS.map((s) => s.cidrBlock) });

    expect(ofType(rec, INSTANCE)).toHaveLength(members);
    expect(ofType(rec, VOLUME)).toHaveLength(members);
    expect(ofType(rec, ATTACH)).toHaveLength(members);
    // 2 per member (server, peer); the API server's client certificate comes from ClusterPki only
    expect(ofType(rec, CERT)).toHaveLength(2 * members);
    const perAz = [0, 0, 0];
    let n = 0;
    for (const m of plan) {
      const inst = inputs(named(rec, INSTANCE, `etcd-${m.name}`));
      expect(inst.instanceType).toBe("i3en.large");
      expect(inst.ebsOptimized).toBe(true);
      // IMDSv2 only, hop limit 1 (no pod reaches the member's role), no instance tags in metadata: the nodes' one setting.
      expect(inst.metadataOptions).toEqual({
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      });
      expect(inst.rootBlockDevice).toMatchObject({ encrypted: true, volumeType: "gp3" });
      const eni = named(rec, ENI, `etcd-${m.name}-eni`);
      expect(inst.primaryNetworkInterface).toEqual({ networkInterfaceId: eni.id });
      expect(inputs(eni)).toMatchObject({ subnetId: SUBNETS[m.azIndex]!.id, privateIps: [m.ip], securityGroups: ["sg-0etcd"] });
      perAz[m.azIndex]!++;

      const vol = named(rec, VOLUME, `etcd-${m.name}-data`);
      expect(inputs(vol)).toMatchObject({
        availabilityZone: SUBNETS[m.azIndex]!.availabilityZone,
        type: "gp3",
        size: 80,
        iops: 6000,
        throughput: 250,
        encrypted: true,
      });
      expect([vol.protect, vol.retainOnDelete]).toEqual([spec.deletionProtection, spec.deletionProtection]); // critical: true, dev (1 member): false
      expect(inputs(named(rec, ATTACH, `etcd-${m.name}-data-attachment`))).toEqual({
        deviceName: "/dev/sdf",
        volumeId: vol.id,
        instanceId: named(rec, INSTANCE, `etcd-${m.name}`).id,
        stopInstanceBeforeDetaching: true,
      });

      for (const kind of ["server", "peer"]) {
        const csr = inputs(named(rec, CSR, `etcd-${m.name}-${kind}-csr`));
        expect(csr.subject).toMatchObject({ commonName: m.name });
        expect(csr.dnsNames).toEqual([m.dnsName, m.name, "localhost"]);
        expect(csr.ipAddresses).toEqual([m.ip, "127.0.0.1"]);
        const cert = inputs(named(rec, CERT, `etcd-${m.name}-${kind}-cert`));
        expect(cert.allowedUses).toEqual(["digital_signature", "key_encipherment", "server_auth", "client_auth"]);
        expect(cert.caCertPem).toBe(CA.certPem);
        expect(named(rec, CERT, `etcd-${m.name}-${kind}-cert`).inputs.caPrivateKeyPem).toBe("[secret]");
      }
      expect(inputs(named(rec, "aws:route53/record:Record", `etcd-${m.name}-dns`))).toMatchObject({
        zoneId: "Z0PRIVATEZONE",
        name: m.dnsName,
        type: "A",
        records: [m.ip],
      });

      // The member boots like every role: the common boot runs etcd-member-boot; its files come in its bundle.
      const files = rec.artifacts.get(m.name)!.map((f) => f.path);
      expect(files).toEqual(
        expect.arrayContaining([
          "cloud-init.yaml",
          "etc/etcd/etcd.conf.yml",
          "etc/etcd/member.env",
          "usr/local/sbin/etcd-member-boot",
          "usr/local/sbin/kubeadm-aws-boot",
        ]),
      );
      expect(files.includes("etc/systemd/system/etcd.service")).toBe(runtime === "on-host");
      expect(files.includes("etc/etcd/manifests/etcd.yaml")).toBe(runtime === "containerized");
      const userData = String(inst.userData);
      expect(userData).toBe(rec.artifacts.get(m.name)!.find((f) => f.path === "cloud-init.yaml")!.content);
      expect(userData).toContain("KUBEADM_AWS_BOOT_ACTION=/usr/local/sbin/etcd-member-boot\n");
      expect(userData).not.toMatch(/PRIVATE KEY|etcd\.conf\.yml\n\s+content/);
      const bundle = bundleOf(rec, n);
      const env = parseEnvFile(bundle.find((f) => f.path === "/etc/etcd/member.env")!.content);
      expect(env).toMatchObject({
        KUBEADM_AWS_ETCD_MEMBER: m.name,
        KUBEADM_AWS_ETCD_VOLUME_ID: vol.id,
        KUBEADM_AWS_ETCD_UNIT: runtime === "on-host" ? "etcd.service" : "kubelet.service",
      });
      expect(bundle.find((f) => f.path === "/etc/etcd/pki/server.key")).toMatchObject({
        permissions: "0600",
        content: expect.stringMatching(/PRIVATE KEY/),
      });
      // The user data lists the sha256 of each plain file of the bundle: a change of any of them replaces the member.
      for (const f of bundle.filter((b) => !b.path.startsWith("/etc/etcd/pki/"))) {
        expect(userData).toContain(`${createHash("sha256").update(f.content).digest("hex")}  ${f.path}`);
      }
      n++;
    }
    // Round-robin: no AZ holds more than ceil(members / 3) members.
    expect(Math.max(...perAz)).toBe(Math.ceil(members / spec.availabilityZones.length));
    expect(perAz.reduce((a, b) => a + b, 0)).toBe(members);
    expect(ofType(rec, CSR).filter((c) => inputs(c).subject.commonName === "kube-apiserver-etcd-client")).toEqual([]);
    expect([...rec.artifacts.keys()].sort()).toEqual(plan.map((m) => m.name).sort());
    // No TLS secret of its own any more: the member's keys are in its bundle.
    expect(
      ofType(rec, "aws:secretsmanager/secret:Secret")
        .map((x) => inputs(x).name)
        .sort(),
    ).toEqual(plan.map((m) => `prod/bootstrap/${m.name}`).sort());
  });

  test("the external kubeadm block lists every member and the API server's client certificate files", async () => {
    let block: unknown;
    const rec = await recordProgram(() => {
      const c = new EtcdCluster("etcd", {
        spec: etcdSpec({ topology: "dedicated", runtime: "on-host", members: 3 }),
        privateSubnets: SUBNETS,
        securityGroupIds: ["sg-0etcd"],
        ca: CA,
        backup: BUCKET,
        bootstrapKmsKeyArn: BOOTSTRAP_KEY,
        imageId: "ami-0123456789abcdef0",
      });
      c.kubeadmEtcd.apply((b) => (block = b));
    });
    expect(rec.errors).toEqual([]);
    expect(block).toEqual({
      external: {
        endpoints: ["https://10.30.79.228:2379", "https://10.30.95.228:2379", "https://10.30.111.228:2379"],
        caFile: "/etc/kubernetes/pki/etcd/ca.crt",
        certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
        keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
      },
    });
  });

  test("members are created, updated and replaced one at a time: each instance waits for the previous member's volume attachment", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: 5 }));
    expect(rec.errors).toEqual([]);
    for (let n = 0; n < 5; n++) {
      const inst = named(rec, INSTANCE, `etcd-etcd-${n}`);
      expect(inst.deleteBeforeReplace).toBe(true);
      expect(inputs(inst).userDataReplaceOnChange).toBe(true);
      const chained = ofType(rec, ATTACH)
        .filter((a) => inst.dependencies.includes(a.urn))
        .map((a) => a.name);
      const instDeps = ofType(rec, INSTANCE).filter((i) => inst.dependencies.includes(i.urn));
      expect(instDeps).toEqual([]);
      expect(chained).toEqual(n === 0 ? [] : [`etcd-etcd-${n - 1}-data-attachment`]);
    }
  });

  test("each member's instance waits for its own bundle-read policy and its bundle's value (its boot reads both)", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: 3 }));
    expect(rec.errors).toEqual([]);
    for (let n = 0; n < 3; n++) {
      const deps = named(rec, INSTANCE, `etcd-etcd-${n}`).dependencies;
      const policies = ofType(rec, "aws:iam/rolePolicy:RolePolicy")
        .filter((p) => deps.includes(p.urn))
        .map((p) => p.name);
      const versions = ofType(rec, BUNDLE)
        .filter((v) => deps.includes(v.urn))
        .map((v) => v.name);
      expect(policies).toEqual([`etcd-etcd-${n}-iam-bootstrap-read`]);
      expect(versions).toEqual([`etcd-etcd-${n}-bundle`]);
    }
  });

  test("the IAM role and instance profile keep their resource names from before members were roles (an alias, not a re-create)", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: 3 }));
    expect(rec.errors).toEqual([]);
    // Before, NodeRole `etcd-etcd-1-iam` was a child of the EtcdCluster; now of the member's RoleBootstrap `etcd-etcd-1`.
    // The engine derives a child's aliases from its parent's: RoleBootstrap `etcd-etcd-1` aliased to the type
    // EtcdCluster under the EtcdCluster's parent gives its child `etcd-etcd-1-iam` the old urn (same type chain, same name).
    const role = named(rec, "pulumi-kubeadm-aws:iam:NodeRole", "etcd-etcd-1-iam");
    const boot = named(rec, "pulumi-kubeadm-aws:bootstrap:RoleBootstrap", "etcd-etcd-1");
    expect(role.parent).toBe(boot.urn);
    expect(boot.parent).toBe(named(rec, "pulumi-kubeadm-aws:etcd:EtcdCluster", "etcd").urn);
    // The EtcdCluster is at the stack's root here, so the alias has no parent (under a Cluster: the Cluster's urn).
    expect(boot.aliases).toEqual([{ name: "etcd-etcd-1", type: "pulumi-kubeadm-aws:etcd:EtcdCluster", noParent: true }]);
  });

  test("io2 volumes carry IOPS and no throughput; without deletion protection volumes are neither protected nor retained", async () => {
    const rec = await recordEtcd(
      etcdSpec(
        { topology: "dedicated", runtime: "on-host", members: 3, volume: { type: "io2", sizeGiB: 100, iops: 10000, throughputMiBps: 0 } },
        { deletionProtection: false },
      ),
    );
    expect(rec.errors).toEqual([]);
    const v = named(rec, VOLUME, "etcd-etcd-0-data");
    expect(inputs(v)).toMatchObject({ type: "io2", size: 100, iops: 10000, encrypted: true });
    expect(inputs(v).throughput).toBeUndefined();
    expect([v.protect, v.retainOnDelete]).toEqual([false, false]);
  });

  test("addresses are reserved in each used AZ; each member's own role reads only its own bundle and writes only this cluster's snapshot prefixes", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: 3 }), {
      kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k",
    });
    expect(rec.errors).toEqual([]);
    const res = ofType(rec, "aws:ec2/subnetCidrReservation:SubnetCidrReservation").map((r) => [
      inputs(r).subnetId,
      inputs(r).cidrBlock,
      inputs(r).reservationType,
    ]);
    expect(res).toEqual([
      ["subnet-0aaa", "10.30.79.224/28", "explicit"],
      ["subnet-0bbb", "10.30.95.224/28", "explicit"],
      ["subnet-0ccc", "10.30.111.224/28", "explicit"],
    ]);
    const bundles = [0, 1, 2].map((n) => named(rec, "aws:secretsmanager/secret:Secret", `etcd-etcd-${n}-secret`));
    for (const b of bundles) expect(inputs(b).kmsKeyId).toBe(BOOTSTRAP_KEY);
    const arns = bundles.map((b) => b.id!);
    for (const n of [0, 1, 2]) {
      const policies = policiesOf(rec, `prod-etcd-${n}`);
      expect(
        ofType(rec, "aws:iam/rolePolicy:RolePolicy")
          .filter((p) => inputs(p).role === `prod-etcd-${n}`)
          .map((p) => inputs(p).name)
          .sort(),
      ).toEqual(["bootstrap-read", "etcd-backup"]);
      expect(arns.map((a) => canReadSecret(policies, a, BOOTSTRAP_KEY, "eu-west-1"))).toEqual(arns.map((_, k) => k === n));
      const snap = (action: string, key: string) => iamAllows(policies, action, `${BUCKET.bucketArn}/${key}`);
      expect([
        snap("s3:PutObject", "frequent/prod/x.db"),
        snap("s3:PutObject", "daily/prod/2026-01-01/x.db"),
        snap("s3:GetObject", "frequent/prod/x.db"),
      ]).toEqual([true, true, true]);
      expect([
        snap("s3:PutObject", "frequent/other/x.db"),
        snap("s3:DeleteObject", "frequent/prod/x.db"),
        snap("s3:PutObject", "x.db"),
      ]).toEqual([false, false, false]);
      expect(inputs(named(rec, INSTANCE, `etcd-etcd-${n}`)).iamInstanceProfile).toBe(`prod-etcd-${n}`);
    }
    expect(inputs(named(rec, VOLUME, "etcd-etcd-0-data")).kmsKeyId).toBe("arn:aws:kms:eu-west-1:123456789012:key/k");
  });

  test("a colocated spec is refused", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "colocated", runtime: "containerized", members: 3 }));
    expect(rec.errors.join("\n")).toMatch(/EtcdCluster is for dedicated etcd/);
  });
});

describe("colocated layouts", () => {
  const cpMembers = (count: number) =>
    planMembers({
      cluster: "prod",
      domain: "k8s.example.internal",
      members: count,
      subnetCidrs: SUBNETS.map((s) => s.cidrBlock),
      blockFromEnd: 3,
      namePrefix: "control-plane",
    });

  test.each([1, 3, 5])(
    "on-host, %i control-plane node(s): reserved addresses, member certificates, external block, plain and secret files",
    async (count) => {
      const members = cpMembers(count);
      const spec = etcdSpec({ topology: "colocated", runtime: "on-host", members: count as 1 | 3 | 5 }, { controlPlane: { count } });
      const subnets = SUBNETS.slice(0, spec.availabilityZones.length);
      let secret: boolean | undefined;
      let files: string[] = [];
      let block: unknown;
      let ips: string[] = [];
      const rec = await recordProgram(() => {
        const c = new ColocatedEtcd("etcd", {
          spec,
          privateSubnets: subnets,
          ca: CA,
          backupBucketName: BUCKET.bucketName,
          privateZoneId: "Z0PRIVATEZONE",
        });
        void pulumi
          .isSecret(pulumi.output(c.nodes[0]!.secretFiles.find((f) => f.path.endsWith("server.key"))!.content))
          .then((s: boolean) => (secret = s));
        pulumi.all(c.nodes[0]!.files.map((f) => f.content)).apply((f) => (files = f));
        c.kubeadmEtcd.apply((b) => (block = b));
        pulumi.all(c.nodes.map((n) => n.privateIp)).apply((x) => (ips = x));
        expect(c.nodes[0]!.files.map((f) => f.path)).toEqual([
          "/etc/etcd/etcd.conf.yml",
          "/etc/etcd/member.env",
          "/usr/local/sbin/etcd-node-start",
          "/usr/local/sbin/etcd-backup",
          "/usr/local/sbin/etcd-restore",
          "/etc/systemd/system/etcd-backup.service",
          "/etc/systemd/system/etcd-backup.timer",
          "/etc/systemd/system/etcd.service",
        ]);
        expect(c.nodes[0]!.secretFiles.map((f) => [f.path, f.permissions])).toEqual([
          ["/etc/etcd/pki/ca.crt", "0644"],
          ["/etc/etcd/pki/server.crt", "0644"],
          ["/etc/etcd/pki/server.key", "0600"],
          ["/etc/etcd/pki/peer.crt", "0644"],
          ["/etc/etcd/pki/peer.key", "0600"],
        ]);
      });
      expect(rec.errors).toEqual([]);
      expect(ofType(rec, CERT)).toHaveLength(2 * count);
      for (const m of members) {
        for (const kind of ["server", "peer"]) {
          const csr = inputs(named(rec, CSR, `etcd-${m.name}-${kind}-csr`));
          expect(csr.subject).toMatchObject({ commonName: m.name });
          expect(csr.dnsNames).toEqual([`${m.name}.prod.k8s.example.internal`, m.name, "localhost"]);
          expect(csr.ipAddresses).toEqual([m.ip, "127.0.0.1"]);
          expect(inputs(named(rec, CERT, `etcd-${m.name}-${kind}-cert`)).allowedUses).toEqual([
            "digital_signature",
            "key_encipherment",
            "server_auth",
            "client_auth",
          ]);
        }
        expect(inputs(named(rec, "aws:route53/record:Record", `etcd-${m.name}-dns`))).toMatchObject({
          name: m.dnsName,
          type: "A",
          records: [m.ip],
        });
      }
      // The third /28 from the end of each used subnet, apart from dedicated members' block.
      const reservations = ofType(rec, "aws:ec2/subnetCidrReservation:SubnetCidrReservation").map((r) => [
        inputs(r).subnetId,
        inputs(r).cidrBlock,
        inputs(r).reservationType,
      ]);
      const expected = [
        ["subnet-0aaa", "10.30.79.208/28"],
        ["subnet-0bbb", "10.30.95.208/28"],
        ["subnet-0ccc", "10.30.111.208/28"],
      ].slice(0, Math.min(count, subnets.length));
      expect(reservations).toEqual(expected.map((e) => [...e, "explicit"]));
      expect(ips).toEqual(members.map((m) => m.ip));
      expect(secret).toBe(true);
      expect(files.join("\n")).not.toMatch(/PRIVATE KEY/);
      expect(files[0]).toContain(`initial-cluster: ${members.map((m) => `${m.name}=https://${m.ip}:2380`).join(",")}`);
      expect(block).toEqual({
        external: {
          endpoints: members.map((m) => `https://${m.ip}:2379`),
          caFile: "/etc/kubernetes/pki/etcd/ca.crt",
          certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
          keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
        },
      });
      expect(members[0]!.ip).toBe("10.30.79.212");
    },
  );

  test("stacked: backups read the member on 127.0.0.1 with kubeadm's healthcheck client certificate", () => {
    const files = stackedEtcdNodeFiles({
      cluster: "prod",
      region: "eu-west-1",
      memberName: "control-plane-1",
      bucket: "b",
      intervalMinutes: 60,
    });
    expect(files.map((f) => f.path)).toEqual([
      "/etc/etcd/member.env",
      "/usr/local/sbin/etcd-backup",
      "/etc/systemd/system/etcd-backup.service",
      "/etc/systemd/system/etcd-backup.timer",
    ]);
    expect(parseEnvFile(files[0]!.content)).toMatchObject({
      KUBEADM_AWS_ETCD_MEMBER: "control-plane-1",
      KUBEADM_AWS_ETCD_ENDPOINT: "https://127.0.0.1:2379",
      KUBEADM_AWS_ETCD_BUCKET: "b",
      KUBEADM_AWS_ETCD_BUCKET_REGION: "eu-west-1",
      KUBEADM_AWS_ETCD_CERT: "/etc/kubernetes/pki/etcd/healthcheck-client.crt",
      KUBEADM_AWS_ETCD_KEY: "/etc/kubernetes/pki/etcd/healthcheck-client.key",
    });
    // No member to start or restore here: kubeadm runs it.
    expect(parseEnvFile(files[0]!.content).KUBEADM_AWS_ETCD_UNIT).toBeUndefined();
    expect(files[2]!.content).toContain("After=kubelet.service");
    expect(files[2]!.content).toContain("Environment=KUBEADM_AWS_ETCD_ENV=/etc/etcd/member.env\n");
    expect(files[3]!.content).toContain("OnUnitActiveSec=60min");
  });
});

describe("who reaches etcd (the security groups' rules, evaluated)", () => {
  const ctx = {
    bastion: true,
    sshAllowlist: [],
    apiExposure: "private" as const,
    apiAllowedCidrs: [],
    vpcCidr: "10.30.0.0/16",
    natEgress: false,
  };
  test.each(["dedicated", "colocated"] as const)(
    "%s: 2379 from the control plane, 2380 between members only; workers, bastion and outsiders denied",
    (topology) => {
      const rules = clusterRules(ctx);
      const membership = instanceGroups(topology) as Partial<Record<Role, Role[]>>;
      const etcdHost: Role = topology === "dedicated" ? "etcd" : "controlPlane";
      const ok = (from: Role | string, to: Role, port: number) =>
        isAllowed(rules, { from, to, protocol: "tcp", port }, { vpcCidr: ctx.vpcCidr, membership });
      expect(ok("controlPlane", etcdHost, 2379)).toBe(true);
      expect(ok(etcdHost, etcdHost, 2380)).toBe(true);
      for (const from of ["workers", "bastion", "10.30.1.10", "203.0.113.7"] as const) {
        expect(ok(from, etcdHost, 2379)).toBe(false);
        expect(ok(from, etcdHost, 2380)).toBe(false);
      }
      if (topology === "dedicated") expect(ok("controlPlane", "etcd", 2380)).toBe(false);
    },
  );
});
