import { inputs, named, ofType, recordProgram } from "../helpers/record";
import { ClusterSecurityGroups } from "../../components/security/groups";
import { capture, specFor } from "../network/fixtures";

describe("ClusterSecurityGroups under mocks", () => {
  test("one group per cluster role, every rule its own described resource, NAT addresses as /32s", async () => {
    const spec = specFor("standard");
    let inst: { value?: string[] } = {};
    const rec = await recordProgram(() => {
      const g = new ClusterSecurityGroups("c", {
        spec,
        vpcId: "vpc-0123456789abcdef0",
        bastionSecurityGroupId: "sg-0bastion",
        natPublicIps: ["198.51.100.7", "198.51.100.8"],
      });
      inst = capture(g.instanceGroupIds.controlPlane);
    });
    expect(rec.errors).toEqual([]);
    const groups = ofType(rec, "aws:ec2/securityGroup:SecurityGroup");
    expect(groups.map((g) => [g.name, inputs(g).name, inputs(g).vpcId, inputs(g).revokeRulesOnDelete]).sort()).toEqual([
      ["c-apiLb", "t-standard-api-lb", "vpc-0123456789abcdef0", true],
      ["c-controlPlane", "t-standard-control-plane", "vpc-0123456789abcdef0", true],
      ["c-etcd", "t-standard-etcd", "vpc-0123456789abcdef0", true],
      ["c-workers", "t-standard-workers", "vpc-0123456789abcdef0", true],
    ]);
    // Only one group per instance carries the cloud provider's cluster tag.
    expect(inputs(named(rec, "aws:ec2/securityGroup:SecurityGroup", "c-etcd")).tags["kubernetes.io/cluster/t-standard"]).toBeUndefined();
    expect(inputs(named(rec, "aws:ec2/securityGroup:SecurityGroup", "c-workers")).tags["kubernetes.io/cluster/t-standard"]).toBe("owned");
    const ingress = ofType(rec, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    const id = (n: string) => named(rec, "aws:ec2/securityGroup:SecurityGroup", n).id;
    for (const r of [...ingress, ...ofType(rec, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")])
      expect(inputs(r).description).toMatch(/\S/);
    expect(inputs(named(rec, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "c-apiLb-in-nat-1-tcp-6443"))).toMatchObject({
      securityGroupId: id("c-apiLb"),
      cidrIpv4: "198.51.100.8/32",
      ipProtocol: "tcp",
      fromPort: 6443,
      toPort: 6443,
    });
    expect(inputs(named(rec, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "c-workers-in-bastion-tcp-22"))).toMatchObject({
      securityGroupId: id("c-workers"),
      referencedSecurityGroupId: "sg-0bastion",
      ipProtocol: "tcp",
      fromPort: 22,
      toPort: 22,
      description: "SSH from the bastion",
    });
    expect(
      inputs(named(rec, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "c-etcd-in-controlPlane-tcp-2379")),
    ).toMatchObject({
      securityGroupId: id("c-etcd"),
      referencedSecurityGroupId: id("c-controlPlane"),
      fromPort: 2379,
      toPort: 2379,
    });
    // Members reach each other's client URLs (etcdctl health, the backup script), not only their peer port.
    for (const [kind, type] of [
      ["in", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"],
      ["out", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"],
    ]) {
      expect(inputs(named(rec, type!, `c-etcd-${kind}-etcd-tcp-2379`))).toMatchObject({
        securityGroupId: id("c-etcd"),
        referencedSecurityGroupId: id("c-etcd"),
        ipProtocol: "tcp",
        fromPort: 2379,
        toPort: 2379,
      });
    }
    const workersEgress = inputs(named(rec, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "c-workers-out-cidr-0-0-0-0-0-all"));
    expect(workersEgress).toMatchObject({ ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" });
    expect(workersEgress.fromPort).toBeUndefined();
    // Colocated etcd: control-plane instances carry the etcd group too.
    expect(inst.value).toEqual([id("c-controlPlane"), id("c-etcd")]);
  });
});
