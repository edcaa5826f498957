/** Etcd layouts under mocks: members, AZ spread, volumes, certificates, identity, ordering, kubeadm block, reachability. */
import * as pulumi from "@pulumi/pulumi";
import { ColocatedEtcd, EtcdCluster, planMembers, stackedEtcdNodeFiles } from "../../components/etcd";
import { clusterRules, instanceGroups, isAllowed, type Role } from "../../components/security";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { BUCKET, CA, SUBNETS, etcdSpec, recordEtcd } from "./fixtures";

const INSTANCE = "aws:ec2/instance:Instance";
const VOLUME = "aws:ebs/volume:Volume";
const ATTACH = "aws:ec2/volumeAttachment:VolumeAttachment";
const ENI = "aws:ec2/networkInterface:NetworkInterface";
const CERT = "tls:index/locallySignedCert:LocallySignedCert";
const CSR = "tls:index/certRequest:CertRequest";

const LAYOUTS = [
  ["on-host", 1], ["on-host", 3], ["on-host", 5], ["on-host", 7],
  ["containerized", 1], ["containerized", 3], ["containerized", 5], ["containerized", 7],
] as const;

describe("EtcdCluster (dedicated)", () => {
  test.each(LAYOUTS)("%s, %i member(s): instances, AZ spread, volumes, certificates, DNS, artifacts", async (runtime, members) => {
    const spec = etcdSpec({ topology: "dedicated", runtime, members, instanceType: "i3en.large", volume: { type: "gp3", sizeGiB: 80, iops: 6000, throughputMiBps: 250 } });
    const rec = await recordEtcd(spec);
    expect(rec.errors).toEqual([]);
    const plan = planMembers({ cluster: "prod", domain: "k8s.example.internal", members, subnetCidrs: SUBNETS.map((s) => s.cidrBlock) });

    expect(ofType(rec, INSTANCE)).toHaveLength(members);
    expect(ofType(rec, VOLUME)).toHaveLength(members);
    expect(ofType(rec, ATTACH)).toHaveLength(members);
    // 2 per member (server, peer); the API server's client certificate comes from ClusterPki only
    expect(ofType(rec, CERT)).toHaveLength(2 * members);
    const perAz = [0, 0, 0];
    for (const m of plan) {
      const inst = inputs(named(rec, INSTANCE, `etcd-${m.name}`));
      expect(inst.instanceType).toBe("i3en.large");
      expect(inst.ebsOptimized).toBe(true);
      expect(inst.metadataOptions).toEqual({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
      expect(inst.rootBlockDevice).toMatchObject({ encrypted: true, volumeType: "gp3" });
      const eni = named(rec, ENI, `etcd-${m.name}-eni`);
      expect(inst.primaryNetworkInterface).toEqual({ networkInterfaceId: eni.id });
      expect(inputs(eni)).toMatchObject({ subnetId: SUBNETS[m.azIndex]!.id, privateIps: [m.ip], securityGroups: ["sg-0etcd"] });
      perAz[m.azIndex]!++;

      const vol = named(rec, VOLUME, `etcd-${m.name}-data`);
      expect(inputs(vol)).toMatchObject({ availabilityZone: SUBNETS[m.azIndex]!.availabilityZone, type: "gp3", size: 80, iops: 6000, throughput: 250, encrypted: true });
      expect([vol.protect, vol.retainOnDelete]).toEqual([spec.deletionProtection, spec.deletionProtection]); // critical: true, dev (1 member): false
      expect(inputs(named(rec, ATTACH, `etcd-${m.name}-data-attachment`))).toEqual({ deviceName: "/dev/sdf", volumeId: vol.id, instanceId: named(rec, INSTANCE, `etcd-${m.name}`).id, stopInstanceBeforeDetaching: true });

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
      expect(inputs(named(rec, "aws:route53/record:Record", `etcd-${m.name}-dns`))).toMatchObject({ zoneId: "Z0PRIVATEZONE", name: m.dnsName, type: "A", records: [m.ip] });

      const files = rec.artifacts.get(m.name)!.map((f) => f.path);
      expect(files).toContain("rootfs/etc/etcd/etcd.conf.yml");
      expect(files.includes("rootfs/etc/systemd/system/etcd.service")).toBe(runtime === "on-host");
      expect(files.includes("rootfs/etc/kubernetes/manifests/etcd.yaml")).toBe(runtime === "containerized");
      expect(String(inst.userData)).toContain(`VOLUME_ID='${vol.id}'`);
      expect(String(inst.userData)).not.toMatch(/PRIVATE KEY/);
    }
    // Round-robin: no AZ holds more than ceil(members / 3) members.
    expect(Math.max(...perAz)).toBe(Math.ceil(members / spec.availabilityZones.length));
    expect(perAz.reduce((a, b) => a + b, 0)).toBe(members);
    expect(ofType(rec, CSR).filter((c) => inputs(c).subject.commonName === "kube-apiserver-etcd-client")).toEqual([]);
    expect([...rec.artifacts.keys()].sort()).toEqual(plan.map((m) => m.name).sort());
  });

  test("the external kubeadm block lists every member and the API server's client certificate files", async () => {
    let block: unknown;
    const rec = await recordProgram(() => {
      const c = new EtcdCluster("etcd", { spec: etcdSpec({ topology: "dedicated", runtime: "on-host", members: 3 }), privateSubnets: SUBNETS, securityGroupIds: ["sg-0etcd"], ca: CA, backup: BUCKET, imageId: "ami-0123456789abcdef0" });
      c.kubeadmEtcd.apply((b) => (block = b));
    });
    expect(rec.errors).toEqual([]);
    expect(block).toEqual({ external: {
      endpoints: ["https://10.30.79.228:2379", "https://10.30.95.228:2379", "https://10.30.111.228:2379"],
      caFile: "/etc/kubernetes/pki/etcd/ca.crt", certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt", keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key",
    } });
  });

  test("members are created, updated and replaced one at a time: each instance waits for the previous member's volume attachment", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: 5 }));
    expect(rec.errors).toEqual([]);
    for (let n = 0; n < 5; n++) {
      const inst = named(rec, INSTANCE, `etcd-etcd-${n}`);
      expect(inst.deleteBeforeReplace).toBe(true);
      expect(inputs(inst).userDataReplaceOnChange).toBe(true);
      const chained = ofType(rec, ATTACH).filter((a) => inst.dependencies.includes(a.urn)).map((a) => a.name);
      const instDeps = ofType(rec, INSTANCE).filter((i) => inst.dependencies.includes(i.urn));
      expect(instDeps).toEqual([]);
      expect(chained).toEqual(n === 0 ? [] : [`etcd-etcd-${n - 1}-data-attachment`]);
    }
  });

  test("each member's instance waits for its own IAM policy and its TLS secret's value (its boot reads both)", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: 3 }));
    expect(rec.errors).toEqual([]);
    for (let n = 0; n < 3; n++) {
      const deps = named(rec, INSTANCE, `etcd-etcd-${n}`).dependencies;
      const policies = ofType(rec, "aws:iam/rolePolicy:RolePolicy").filter((p) => deps.includes(p.urn)).map((p) => p.name);
      const versions = ofType(rec, "aws:secretsmanager/secretVersion:SecretVersion").filter((v) => deps.includes(v.urn)).map((v) => v.name);
      expect(policies).toEqual([`etcd-etcd-${n}-iam-etcd-member`]);
      expect(versions).toEqual([`etcd-etcd-${n}-pki`]);
    }
  });

  test("io2 volumes carry IOPS and no throughput; without deletion protection volumes are neither protected nor retained", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: 3, volume: { type: "io2", sizeGiB: 100, iops: 10000, throughputMiBps: 0 } }, { deletionProtection: false }));
    expect(rec.errors).toEqual([]);
    const v = named(rec, VOLUME, "etcd-etcd-0-data");
    expect(inputs(v)).toMatchObject({ type: "io2", size: 100, iops: 10000, encrypted: true });
    expect(inputs(v).throughput).toBeUndefined();
    expect([v.protect, v.retainOnDelete]).toEqual([false, false]);
  });

  test("addresses are reserved in each used AZ; each member's own role reads only its secret and writes only this cluster's snapshot prefixes", async () => {
    const rec = await recordEtcd(etcdSpec({ topology: "dedicated", runtime: "on-host", members: 3 }), { kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/k" });
    expect(rec.errors).toEqual([]);
    const res = ofType(rec, "aws:ec2/subnetCidrReservation:SubnetCidrReservation").map((r) => [inputs(r).subnetId, inputs(r).cidrBlock, inputs(r).reservationType]);
    expect(res).toEqual([["subnet-0aaa", "10.30.79.224/28", "explicit"], ["subnet-0bbb", "10.30.95.224/28", "explicit"], ["subnet-0ccc", "10.30.111.224/28", "explicit"]]);
    const secrets = [0, 1, 2].map((n) => named(rec, "aws:secretsmanager/secret:Secret", `etcd-etcd-${n}-pki`).id!);
    for (const n of [0, 1, 2]) {
      const policy = JSON.parse(inputs(named(rec, "aws:iam/rolePolicy:RolePolicy", `etcd-etcd-${n}-iam-etcd-member`)).policy);
      expect(inputs(named(rec, "aws:iam/rolePolicy:RolePolicy", `etcd-etcd-${n}-iam-etcd-member`)).role).toBe(`prod-etcd-${n}`);
      const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action).sort();
      expect(actions).toEqual(["kms:Decrypt", "s3:GetObject", "s3:ListBucket", "s3:PutObject", "secretsmanager:GetSecretValue"]);
      const s3 = policy.Statement.find((s: { Sid: string }) => s.Sid === "EtcdSnapshots");
      expect(s3.Resource).toEqual([`${BUCKET.bucketArn}/frequent/prod/*`, `${BUCKET.bucketArn}/daily/prod/*`]);
      expect(policy.Statement[0].Resource).toEqual([secrets[n]]);
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
  const cpMembers = (count: number) => planMembers({ cluster: "prod", domain: "k8s.example.internal", members: count, subnetCidrs: SUBNETS.map((s) => s.cidrBlock), blockFromEnd: 3, namePrefix: "control-plane" });

  test.each([1, 3, 5])("on-host, %i control-plane node(s): reserved addresses, member certificates, external block, plain and secret files", async (count) => {
    const members = cpMembers(count);
    const spec = etcdSpec({ topology: "colocated", runtime: "on-host", members: count as 1 | 3 | 5 }, { controlPlane: { count } });
    const subnets = SUBNETS.slice(0, spec.availabilityZones.length);
    let secret: boolean | undefined;
    let files: string[] = [];
    let block: unknown;
    let ips: string[] = [];
    const rec = await recordProgram(() => {
      const c = new ColocatedEtcd("etcd", { spec, privateSubnets: subnets, ca: CA, backupBucketName: BUCKET.bucketName, privateZoneId: "Z0PRIVATEZONE" });
      void pulumi.isSecret(c.nodes[0]!.secretFiles.find((f) => f.path.endsWith("server.key"))!.content).then((s: boolean) => (secret = s));
      pulumi.all(c.nodes[0]!.files.map((f) => f.content)).apply((f) => (files = f));
      c.kubeadmEtcd.apply((b) => (block = b));
      pulumi.all(c.nodes.map((n) => n.privateIp)).apply((x) => (ips = x));
      expect(c.nodes[0]!.files.map((f) => f.path)).toEqual(["/etc/etcd/etcd.conf.yml", "/etc/systemd/system/etcd.service", "/usr/local/sbin/etcd-node-start", "/usr/local/sbin/etcd-backup", "/etc/systemd/system/etcd-backup.service", "/etc/systemd/system/etcd-backup.timer", "/usr/local/sbin/etcd-restore"]);
      expect(c.nodes[0]!.secretFiles.map((f) => [f.path, f.permissions])).toEqual([["/etc/etcd/pki/ca.crt", "0644"], ["/etc/etcd/pki/server.crt", "0644"], ["/etc/etcd/pki/server.key", "0600"], ["/etc/etcd/pki/peer.crt", "0644"], ["/etc/etcd/pki/peer.key", "0600"]]);
    });
    expect(rec.errors).toEqual([]);
    expect(ofType(rec, CERT)).toHaveLength(2 * count);
    for (const m of members) {
      for (const kind of ["server", "peer"]) {
        const csr = inputs(named(rec, CSR, `etcd-${m.name}-${kind}-csr`));
        expect(csr.subject).toMatchObject({ commonName: m.name });
        expect(csr.dnsNames).toEqual([`${m.name}.prod.k8s.example.internal`, m.name, "localhost"]);
        expect(csr.ipAddresses).toEqual([m.ip, "127.0.0.1"]);
        expect(inputs(named(rec, CERT, `etcd-${m.name}-${kind}-cert`)).allowedUses).toEqual(["digital_signature", "key_encipherment", "server_auth", "client_auth"]);
      }
      expect(inputs(named(rec, "aws:route53/record:Record", `etcd-${m.name}-dns`))).toMatchObject({ name: m.dnsName, type: "A", records: [m.ip] });
    }
    // The third /28 from the end of each used subnet, apart from dedicated members' block.
    const reservations = ofType(rec, "aws:ec2/subnetCidrReservation:SubnetCidrReservation").map((r) => [inputs(r).subnetId, inputs(r).cidrBlock, inputs(r).reservationType]);
    const expected = [["subnet-0aaa", "10.30.79.208/28"], ["subnet-0bbb", "10.30.95.208/28"], ["subnet-0ccc", "10.30.111.208/28"]].slice(0, Math.min(count, subnets.length));
    expect(reservations).toEqual(expected.map((e) => [...e, "explicit"]));
    expect(ips).toEqual(members.map((m) => m.ip));
    expect(secret).toBe(true);
    expect(files.join("\n")).not.toMatch(/PRIVATE KEY/);
    expect(files[0]).toContain(`initial-cluster: ${members.map((m) => `${m.name}=https://${m.ip}:2380`).join(",")}`);
    expect(block).toEqual({ external: { endpoints: members.map((m) => `https://${m.ip}:2379`), caFile: "/etc/kubernetes/pki/etcd/ca.crt", certFile: "/etc/kubernetes/pki/apiserver-etcd-client.crt", keyFile: "/etc/kubernetes/pki/apiserver-etcd-client.key" } });
    expect(members[0]!.ip).toBe("10.30.79.212");
  });

  test("stacked: backups read the member on 127.0.0.1 with kubeadm's healthcheck client certificate", () => {
    const files = stackedEtcdNodeFiles({ cluster: "prod", region: "eu-west-1", memberName: "control-plane-1", bucket: "b", intervalMinutes: 60 });
    expect(files.map((f) => f.path)).toEqual(["/usr/local/sbin/etcd-backup", "/etc/systemd/system/etcd-backup.service", "/etc/systemd/system/etcd-backup.timer"]);
    const backup = files[0]!.content;
    expect(backup).toContain("CERT='/etc/kubernetes/pki/etcd/healthcheck-client.crt'");
    expect(backup).toContain("ENDPOINT='https://127.0.0.1:2379'");
    expect(files[1]!.content).toContain("After=kubelet.service");
    expect(files[2]!.content).toContain("OnUnitActiveSec=60min");
  });
});

describe("who reaches etcd (the security groups' rules, evaluated)", () => {
  const ctx = { bastion: true, sshAllowlist: [], apiExposure: "private" as const, apiAllowedCidrs: [], vpcCidr: "10.30.0.0/16", natEgress: false };
  test.each(["dedicated", "colocated"] as const)("%s: 2379 from the control plane, 2380 between members only; workers, bastion and outsiders denied", (topology) => {
    const rules = clusterRules(ctx);
    const membership = instanceGroups(topology) as Partial<Record<Role, Role[]>>;
    const etcdHost: Role = topology === "dedicated" ? "etcd" : "controlPlane";
    const ok = (from: Role | string, to: Role, port: number) => isAllowed(rules, { from, to, protocol: "tcp", port }, { vpcCidr: ctx.vpcCidr, membership });
    expect(ok("controlPlane", etcdHost, 2379)).toBe(true);
    expect(ok(etcdHost, etcdHost, 2380)).toBe(true);
    for (const from of ["workers", "bastion", "10.30.1.10", "203.0.113.7"] as const) {
      expect(ok(from, etcdHost, 2379)).toBe(false);
      expect(ok(from, etcdHost, 2380)).toBe(false);
    }
    if (topology === "dedicated") expect(ok("controlPlane", "etcd", 2380)).toBe(false);
  });
});
