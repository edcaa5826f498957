import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { Bastion } from "../../components/bastion/bastion";
import { accessLines } from "../../components/bastion/access";
import { specFor } from "../network/fixtures";
import type { ClusterSpec } from "../../components/spec/spec";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const SUBNETS = ["subnet-0a000000000000000", "subnet-0a000000000000001"];

async function record(spec: ClusterSpec) {
  let b!: Bastion;
  const rec = await recordProgram(() => {
    b = new Bastion("b", { spec, vpcId: "vpc-0123456789abcdef0", publicSubnetIds: SUBNETS, imageId: "ami-0123456789abcdef0" });
  });
  return { rec, b };
}

function tmp(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "bastion-")), name);
  writeFileSync(file, text);
  return file;
}

describe("Bastion under mocks", () => {
  test("dev: an autoscaling group of one in the public subnets, from a hardened launch template", async () => {
    const { rec } = await record(specFor("dev"));
    expect(rec.errors).toEqual([]);
    const lt = named(rec, LT, "b-lt");
    const sg = named(rec, "aws:ec2/securityGroup:SecurityGroup", "b-sg");
    const profile = named(rec, "aws:iam/instanceProfile:InstanceProfile", "b-iam-profile");
    expect(inputs(lt)).toMatchObject({
      imageId: "ami-0123456789abcdef0",
      instanceType: "t3.micro",
      iamInstanceProfile: { arn: `arn:aws:iam::123456789012:instance-profile/${profile.id}` },
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
      blockDeviceMappings: [
        { deviceName: "/dev/sda1", ebs: { volumeSize: 16, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" } },
      ],
      networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "true", deleteOnTermination: "true", securityGroups: [sg.id] }],
    });
    expect(inputs(lt).vpcSecurityGroupIds).toBeUndefined(); // groups sit on the interface (both at once are rejected)
    const asg = inputs(named(rec, "aws:autoscaling/group:Group", "b-asg"));
    expect(asg).toMatchObject({
      name: "t-dev-bastion",
      minSize: 1,
      maxSize: 1,
      desiredCapacity: 1,
      vpcZoneIdentifiers: SUBNETS,
      healthCheckType: "EC2",
      launchTemplate: { id: lt.id, version: "1" },
    });
  });

  test("dev: SSH only from the allowlist; the bastion may SSH into the VPC and speak HTTPS, nothing else", async () => {
    const { rec } = await record(specFor("dev"));
    const sg = named(rec, "aws:ec2/securityGroup:SecurityGroup", "b-sg").id;
    expect(ofType(rec, INGRESS).map((r) => inputs(r))).toEqual([
      {
        securityGroupId: sg,
        cidrIpv4: "192.0.2.0/24",
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
        description: "SSH to the bastion from allowlisted 192.0.2.0/24",
        tags: expect.objectContaining({ Name: "b-bastion-in-cidr-192-0-2-0-24-tcp-22" }),
      },
    ]);
    const egress = ofType(rec, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => [
      inputs(r).cidrIpv4,
      inputs(r).ipProtocol,
      inputs(r).fromPort,
    ]);
    expect(egress.sort()).toEqual([
      ["0.0.0.0/0", "tcp", 443],
      ["10.0.0.0/16", "tcp", 22],
    ]);
  });

  test("critical (empty allowlist): no SSH ingress at all; the role may use SSM Session Manager and nothing more", async () => {
    const { rec, b } = await record(specFor("critical"));
    expect(rec.errors).toEqual([]);
    expect(ofType(rec, INGRESS)).toEqual([]);
    const role = named(rec, "aws:iam/role:Role", "b-iam-role");
    expect(JSON.parse(inputs(role).assumeRolePolicy).Statement).toEqual([
      { Sid: "ServiceAssume", Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    expect(inputs(role).managedPolicyArns).toBeUndefined();
    expect(inputs(role).inlinePolicies).toBeUndefined();
    expect(ofType(rec, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => inputs(a))).toEqual([
      { role: role.id, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
    ]);
    expect(ofType(rec, "aws:iam/rolePolicy:RolePolicy")).toEqual([]);
    expect(ofType(rec, "aws:iam/policy:Policy")).toEqual([]);
    expect(b.sshProxyJump).toContain("AWS-StartSSHSession");
    // The internal API load balancer is reached through the bastion: it may open 6443 into the VPC.
    const egress = ofType(rec, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((r) => [
      inputs(r).cidrIpv4,
      inputs(r).fromPort,
    ]);
    expect(egress.sort()).toEqual([
      ["0.0.0.0/0", 443],
      ["10.0.0.0/16", 22],
      ["10.0.0.0/16", 6443],
    ]);
  });

  test("refuses 0.0.0.0/0 as an allowlist even when a spec is built by hand", async () => {
    const spec = specFor("dev");
    spec.bastion.sshAllowlist = ["0.0.0.0/0"];
    const { rec } = await record(spec);
    expect(rec.errors.join("\n")).toContain("0.0.0.0/0 is not an SSH allowlist");
    expect(ofType(rec, LT)).toEqual([]);
  });

  test("the user data is valid cloud-config (cloud-init schema) and carries no secret", async () => {
    const { rec } = await record(specFor("dev"));
    const userData = Buffer.from(inputs(named(rec, LT, "b-lt")).userData, "base64").toString("utf8");
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    expect(userData).toContain("PasswordAuthentication no");
    expect(userData).not.toMatch(/PRIVATE KEY|token|secret/i);
    expect(rec.artifacts.get("bastion")).toEqual([{ path: "cloud-init.yaml", content: userData }]);
    const res = spawnSync("cloud-init", ["schema", "-c", tmp("user-data.yaml", userData)], { encoding: "utf8" });
    expect(res.error).toBeUndefined(); // cloud-init must be installed: this test never skips
    expect(`${res.stdout}${res.stderr}`).toContain("Valid");
    expect(res.status).toBe(0);
  });
});

describe("access lines", () => {
  const lines = (sshEnabled: boolean) => accessLines({ region: "eu-west-1", asgName: "dev-bastion", user: "ubuntu", sshEnabled });

  test.each([true, false])("pass shellcheck (ssh enabled: %s)", (sshEnabled) => {
    const l = lines(sshEnabled);
    const file = tmp("access.sh", `#!/bin/bash\nset -euo pipefail\n${l.findInstance}\n${l.sshProxyJump}\n${l.ssmCommand}\n`);
    const res = spawnSync("shellcheck", ["-S", "warning", file], { encoding: "utf8" });
    expect(res.error).toBeUndefined();
    expect(res.stdout).toBe("");
    expect(res.status).toBe(0);
  });

  test.each([
    [true, "proxyjump ubuntu@[203.0.113.9]"],
    [
      false,
      "proxycommand ssh -o ProxyCommand='aws ssm start-session --region eu-west-1 --target %%h --document-name AWS-StartSSHSession --parameters portNumber=22' -W %h:%p ubuntu@i-0123456789abcdef0",
    ],
  ])("OpenSSH reads the ssh line as a jump to the node through the bastion (ssh enabled: %s)", (sshEnabled, jump) => {
    // Stub aws (it answers the bastion's lookup) and run ssh with -G: it parses everything and connects nowhere.
    const script = [
      'aws() { case "$*" in *PublicIpAddress*) echo 203.0.113.9;; *InstanceId*) echo i-0123456789abcdef0;; esac; }',
      'ssh() { command ssh -G "$@"; }',
      "NODE_IP=10.0.0.10",
      lines(sshEnabled).sshProxyJump,
    ].join("\n");
    const out = execFileSync("bash", ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n");
    expect(out).toEqual(expect.arrayContaining(["user ubuntu", "hostname 10.0.0.10", jump]));
  });

  test("the lines find the bastion by its autoscaling group and need NODE_IP", () => {
    const l = lines(true);
    expect(l.findInstance).toBe(
      'aws ec2 describe-instances --region eu-west-1 --filters "Name=tag:aws:autoscaling:groupName,Values=dev-bastion" "Name=instance-state-name,Values=running" --query "Reservations[0].Instances[0].InstanceId" --output text',
    );
    expect(l.ssmCommand).toBe(`aws ssm start-session --region eu-west-1 --target "$(${l.findInstance})"`);
    const res = spawnSync("bash", ["-c", `aws() { echo 203.0.113.9; }; ssh() { :; }; ${l.sshProxyJump}`], { encoding: "utf8" });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain("set NODE_IP to the private IP of the node");
  });
});
