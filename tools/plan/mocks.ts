/**
 * Pulumi runtime mocks with realistic provider outputs: ids in AWS's formats, ARNs, private IPs
 * inside their subnets, load balancer DNS names, real key pairs for `tls:PrivateKey` (so the
 * discovery hash is computed on a real SubjectPublicKeyInfo). An invoke the mocks do not know
 * throws, naming its token, so a new data source cannot slip into the plan unnoticed.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createHash, generateKeyPairSync, type KeyObject } from "crypto";
import { hostAddress, parseCidr } from "../../components/core/cidr";

export const MOCK_ACCOUNT = "123456789012";
/** The VPC every existing subnet the mocks are asked about belongs to (a bring-your-own-VPC world). */
export const MOCK_EXISTING_VPC_ID = "vpc-0123456789abcdef0";
type State = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface MockContext {
  region: string;
  availabilityZones: string[];
}

const hex = (seed: string, n: number) => createHash("sha256").update(seed).digest("hex").slice(0, n);

/** A fake but well-formed PEM block (certificates cannot be minted with node's crypto alone). */
export function fakePem(label: string, seed: string): string {
  const body = Buffer.from(createHash("sha512").update(seed).digest("hex").repeat(6)).toString("base64");
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function keyPair(algorithm: string, inputs: State): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (algorithm) {
    case "ECDSA": {
      const curve =
        ({ P224: "P-224", P256: "P-256", P384: "P-384", P521: "P-521" } as Record<string, string>)[inputs.ecdsaCurve ?? "P224"] ?? "P-256";
      return generateKeyPairSync("ec", { namedCurve: curve });
    }
    case "ED25519":
      return generateKeyPairSync("ed25519");
    default:
      // Key size does not change what the plan shows; 2048 keeps the mocks fast.
      return generateKeyPairSync("rsa", { modulusLength: 2048 });
  }
}

export class PlanMocks implements pulumi.runtime.Mocks {
  private readonly subnetCidrs = new Map<string, string>();
  private readonly hostsUsed = new Map<string, number>();
  /** ENI id -> primary private IP (an instance launched on an existing ENI takes its address). */
  private readonly eniIps = new Map<string, string>();
  private eipCount = 0;

  constructor(private readonly ctx: MockContext) {}

  private arn(service: string, resource: string, global = false): string {
    return `arn:aws:${service}:${global ? "" : this.ctx.region}:${MOCK_ACCOUNT}:${resource}`;
  }

  private privateIpIn(subnetId: string | undefined, seed: string): string {
    const cidr = subnetId ? this.subnetCidrs.get(subnetId) : undefined;
    const c = parseCidr(cidr ?? "10.0.0.0/16")!;
    const key = cidr ?? "default";
    const n = (this.hostsUsed.get(key) ?? 9) + 1; // AWS reserves the first four; start at .10
    this.hostsUsed.set(key, n);
    void seed;
    return hostAddress(c, n);
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
    const i: State = args.inputs;
    const seed = `${args.type}::${args.name}`;
    const id17 = hex(seed, 17);
    const s: State = { ...i };
    let id = `${args.name}-${hex(seed, 8)}`;
    const region = this.ctx.region;
    switch (args.type) {
      case "aws:ec2/vpc:Vpc":
        id = `vpc-${id17}`;
        Object.assign(s, {
          arn: this.arn("ec2", `vpc/${id}`),
          defaultSecurityGroupId: `sg-${hex(seed + "sg", 17)}`,
          mainRouteTableId: `rtb-${hex(seed + "rt", 17)}`,
          ownerId: MOCK_ACCOUNT,
        });
        break;
      case "aws:ec2/subnet:Subnet":
        id = `subnet-${id17}`;
        if (i.cidrBlock) this.subnetCidrs.set(id, i.cidrBlock);
        Object.assign(s, { arn: this.arn("ec2", `subnet/${id}`), availabilityZoneId: `${region.slice(0, 3)}${hex(seed, 2)}-az1` });
        break;
      case "aws:ec2/instance:Instance": {
        id = `i-${id17}`;
        const eniId: string | undefined = i.primaryNetworkInterface?.networkInterfaceId;
        const ip = i.privateIp ?? (eniId ? this.eniIps.get(eniId) : undefined) ?? this.privateIpIn(i.subnetId, seed);
        Object.assign(s, {
          arn: this.arn("ec2", `instance/${id}`),
          privateIp: ip,
          privateDns: `ip-${ip.replace(/\./g, "-")}.${region}.compute.internal`,
          publicIp: "",
          instanceState: "running",
          primaryNetworkInterfaceId: eniId ?? `eni-${hex(seed + "eni", 17)}`,
        });
        break;
      }
      case "aws:ec2/networkInterface:NetworkInterface": {
        id = `eni-${id17}`;
        const ip = i.privateIps?.[0] ?? this.privateIpIn(i.subnetId, seed);
        this.eniIps.set(id, ip);
        Object.assign(s, {
          arn: this.arn("ec2", `network-interface/${id}`),
          privateIp: ip,
          privateIps: [ip],
          privateDnsName: `ip-${ip.replace(/\./g, "-")}.${region}.compute.internal`,
          macAddress: `02:${hex(seed, 10).match(/../g)!.join(":")}`,
        });
        break;
      }
      case "aws:ec2/eip:Eip":
        id = `eipalloc-${id17}`;
        this.eipCount++;
        Object.assign(s, { allocationId: id, publicIp: `198.51.100.${this.eipCount}`, arn: this.arn("ec2", `elastic-ip/${id}`) });
        break;
      case "aws:ec2/natGateway:NatGateway":
        id = `nat-${id17}`;
        Object.assign(s, { privateIp: this.privateIpIn(i.subnetId, seed), publicIp: `198.51.100.${100 + ++this.eipCount}` });
        break;
      case "aws:ec2/internetGateway:InternetGateway":
        id = `igw-${id17}`;
        Object.assign(s, { arn: this.arn("ec2", `internet-gateway/${id}`) });
        break;
      case "aws:ec2/routeTable:RouteTable":
        id = `rtb-${id17}`;
        Object.assign(s, { arn: this.arn("ec2", `route-table/${id}`) });
        break;
      case "aws:ec2/route:Route":
        id = `r-rtb-${hex(seed, 17)}`;
        break;
      case "aws:ec2/routeTableAssociation:RouteTableAssociation":
        id = `rtbassoc-${id17}`;
        break;
      case "aws:ec2/securityGroup:SecurityGroup":
        id = `sg-${id17}`;
        Object.assign(s, { arn: this.arn("ec2", `security-group/${id}`), ownerId: MOCK_ACCOUNT });
        break;
      case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":
        id = `sgr-${id17}`;
        Object.assign(s, { arn: this.arn("ec2", `security-group-rule/${id}`), securityGroupRuleId: id });
        break;
      case "aws:ec2/vpcEndpoint:VpcEndpoint":
        id = `vpce-${id17}`;
        Object.assign(s, {
          arn: this.arn("ec2", `vpc-endpoint/${id}`),
          dnsEntries: [{ dnsName: `${id}.${i.serviceName ?? "svc"}`, hostedZoneId: "Z7HUB22UULQXV" }],
        });
        break;
      case "aws:ec2/flowLog:FlowLog":
        id = `fl-${id17}`;
        Object.assign(s, { arn: this.arn("ec2", `vpc-flow-log/${id}`) });
        break;
      case "aws:ec2/launchTemplate:LaunchTemplate":
        id = `lt-${id17}`;
        Object.assign(s, { arn: this.arn("ec2", `launch-template/${id}`), latestVersion: 1, defaultVersion: 1 });
        break;
      case "aws:ebs/volume:Volume":
        id = `vol-${id17}`;
        Object.assign(s, { arn: this.arn("ec2", `volume/${id}`) });
        break;
      case "aws:ec2/volumeAttachment:VolumeAttachment":
        id = `vai-${hex(seed, 10)}`;
        break;
      case "aws:ec2/subnetCidrReservation:SubnetCidrReservation":
        id = `scr-${id17}`;
        s.ownerId = MOCK_ACCOUNT;
        break;
      case "aws:lb/loadBalancer:LoadBalancer": {
        const name = i.name ?? args.name;
        const kind = i.loadBalancerType === "application" ? "app" : "net";
        id = this.arn("elasticloadbalancing", `loadbalancer/${kind}/${name}/${hex(seed, 16)}`);
        Object.assign(s, {
          arn: id,
          arnSuffix: `${kind}/${name}/${hex(seed, 16)}`,
          dnsName: `${i.internal ? "internal-" : ""}${name}-${hex(seed, 16)}.elb.${region}.amazonaws.com`,
          zoneId: "Z2IFOLAFXWLO4F",
        });
        break;
      }
      case "aws:lb/targetGroup:TargetGroup": {
        const name = i.name ?? args.name;
        id = this.arn("elasticloadbalancing", `targetgroup/${name}/${hex(seed, 16)}`);
        Object.assign(s, { arn: id, arnSuffix: `targetgroup/${name}/${hex(seed, 16)}` });
        break;
      }
      case "aws:lb/listener:Listener":
        id = this.arn("elasticloadbalancing", `listener/net/x/${hex(seed, 16)}/${hex(seed + "l", 16)}`);
        s.arn = id;
        break;
      case "aws:route53/zone:Zone":
        id = `Z${hex(seed, 20).toUpperCase()}`;
        Object.assign(s, { zoneId: id, arn: `arn:aws:route53:::hostedzone/${id}`, nameServers: ["ns-1.awsdns-01.org"] });
        break;
      case "aws:route53/record:Record":
        id = `${i.zoneId}_${i.name}_${i.type}`;
        s.fqdn = i.name;
        break;
      case "aws:iam/role:Role": {
        const n = i.name ?? `${args.name}-${hex(seed, 7)}`;
        id = n;
        Object.assign(s, { name: n, arn: this.arn("iam", `role/${n}`, true), uniqueId: `AROA${hex(seed, 17).toUpperCase()}` });
        break;
      }
      case "aws:iam/instanceProfile:InstanceProfile": {
        const n = i.name ?? `${args.name}-${hex(seed, 7)}`;
        id = n;
        Object.assign(s, { name: n, arn: this.arn("iam", `instance-profile/${n}`, true) });
        break;
      }
      case "aws:iam/policy:Policy": {
        const n = i.name ?? `${args.name}-${hex(seed, 7)}`;
        id = this.arn("iam", `policy/${n}`, true);
        Object.assign(s, { name: n, arn: id });
        break;
      }
      case "aws:iam/rolePolicy:RolePolicy":
        id = `${i.role}:${i.name ?? args.name}`;
        break;
      case "aws:kms/key:Key": {
        const kid = `${hex(seed, 8)}-${hex(seed, 4)}-4${hex(seed, 3)}-8${hex(seed, 3)}-${hex(seed, 12)}`;
        id = kid;
        Object.assign(s, { keyId: kid, arn: this.arn("kms", `key/${kid}`) });
        break;
      }
      case "aws:kms/alias:Alias":
        id = i.name ?? `alias/${args.name}`;
        s.arn = this.arn("kms", id);
        break;
      case "aws:secretsmanager/secret:Secret": {
        const n = i.name ?? `${args.name}-${hex(seed, 7)}`;
        id = this.arn("secretsmanager", `secret:${n}-${hex(seed, 6)}`);
        Object.assign(s, { name: n, arn: id });
        break;
      }
      case "aws:secretsmanager/secretVersion:SecretVersion":
        id = `${i.secretId}|${hex(seed, 32)}`;
        Object.assign(s, { versionId: hex(seed, 32), arn: i.secretId });
        break;
      case "aws:s3/bucket:Bucket":
      case "aws:s3/bucketV2:BucketV2": {
        const n = i.bucket ?? `${args.name}-${hex(seed, 8)}`;
        id = n;
        Object.assign(s, {
          bucket: n,
          arn: `arn:aws:s3:::${n}`,
          bucketDomainName: `${n}.s3.amazonaws.com`,
          bucketRegionalDomainName: `${n}.s3.${region}.amazonaws.com`,
          region,
        });
        break;
      }
      case "aws:autoscaling/group:Group": {
        const n = i.name ?? `${args.name}-${hex(seed, 7)}`;
        id = n;
        Object.assign(s, { name: n, arn: this.arn("autoscaling", `autoScalingGroup:${hex(seed, 8)}:autoScalingGroupName/${n}`) });
        break;
      }
      case "aws:cloudwatch/logGroup:LogGroup": {
        const n = i.name ?? `${args.name}-${hex(seed, 7)}`;
        id = n;
        Object.assign(s, { name: n, arn: this.arn("logs", `log-group:${n}`) });
        break;
      }
      case "aws:dynamodb/table:Table": {
        const n = i.name ?? `${args.name}-${hex(seed, 7)}`;
        id = n;
        Object.assign(s, { name: n, arn: this.arn("dynamodb", `table/${n}`) });
        break;
      }
      case "aws:ssm/parameter:Parameter": {
        const n = i.name ?? `/${args.name}`;
        id = n;
        Object.assign(s, { name: n, arn: this.arn("ssm", `parameter${n}`) });
        break;
      }
      case "tls:index/privateKey:PrivateKey": {
        const { privateKey, publicKey } = keyPair(i.algorithm ?? "RSA", i);
        const pub = publicKey.export({ type: "spki", format: "pem" }).toString();
        Object.assign(s, {
          privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
          privateKeyPemPkcs8: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
          publicKeyPem: pub,
          publicKeyFingerprintSha256: `SHA256:${createHash("sha256")
            .update(publicKey.export({ type: "spki", format: "der" }))
            .digest("base64")
            .replace(/=+$/, "")}`,
          publicKeyOpenssh: `ssh-rsa ${hex(seed, 40)}`,
        });
        id = hex(seed, 40);
        break;
      }
      case "tls:index/selfSignedCert:SelfSignedCert":
      case "tls:index/locallySignedCert:LocallySignedCert":
        Object.assign(s, {
          certPem: fakePem("CERTIFICATE", seed),
          validityStartTime: "2026-01-01T00:00:00Z",
          validityEndTime: "2036-01-01T00:00:00Z",
          readyForRenewal: false,
        });
        id = hex(seed, 32);
        break;
      case "tls:index/certRequest:CertRequest":
        s.certRequestPem = fakePem("CERTIFICATE REQUEST", seed);
        id = hex(seed, 32);
        break;
      case "random:index/randomString:RandomString":
      case "random:index/randomPassword:RandomPassword": {
        const len = i.length ?? 16;
        const alphabet =
          `${i.lower === false ? "" : "abcdefghijklmnopqrstuvwxyz"}${i.upper === false ? "" : "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}${i.numeric === false ? "" : "0123456789"}` ||
          "a";
        const bytes = createHash("sha512").update(seed).digest();
        s.result = Array.from({ length: len }, (_, k) => alphabet[bytes[k % bytes.length]! % alphabet.length]).join("");
        id = "none";
        break;
      }
      case "random:index/randomBytes:RandomBytes": {
        const buf = createHash("sha512")
          .update(seed)
          .digest()
          .subarray(0, i.length ?? 32);
        Object.assign(s, { base64: buf.toString("base64"), hex: buf.toString("hex") });
        id = "none";
        break;
      }
      case "random:index/randomId:RandomId": {
        const buf = createHash("sha512")
          .update(seed)
          .digest()
          .subarray(0, i.byteLength ?? 8);
        Object.assign(s, {
          hex: buf.toString("hex"),
          b64Url: buf.toString("base64url"),
          b64Std: buf.toString("base64"),
          dec: BigInt(`0x${buf.toString("hex")}`).toString(),
        });
        id = buf.toString("base64url");
        break;
      }
      default:
        if (s.arn === undefined && args.type.startsWith("aws:")) {
          const service = args.type.split(":")[1]!.split("/")[0]!;
          s.arn = this.arn(service, `${args.name}/${hex(seed, 12)}`);
        }
    }
    return { id, state: s };
  }

  call(args: pulumi.runtime.MockCallArgs): State {
    const i: State = args.inputs;
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/plan`, userId: "AIDAPLAN", id: MOCK_ACCOUNT };
      case "aws:index/getRegion:getRegion":
        return {
          name: this.ctx.region,
          region: this.ctx.region,
          id: this.ctx.region,
          endpoint: `ec2.${this.ctx.region}.amazonaws.com`,
          description: this.ctx.region,
        };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
      case "aws:index/getAvailabilityZones:getAvailabilityZones":
        return {
          names: this.ctx.availabilityZones,
          zoneIds: this.ctx.availabilityZones.map((_, k) => `${this.ctx.region.slice(0, 3)}-az${k + 1}`),
          id: this.ctx.region,
        };
      case "aws:ec2/getAmi:getAmi": {
        // The plan assumes the image our Packer templates bake exists, with exactly the tags asked for.
        const filters: { name: string; values: string[] }[] = i.filters ?? [];
        const tags: Record<string, string> = {};
        for (const f of filters) if (f.name.startsWith("tag:")) tags[f.name.slice(4)] = f.values[0]!;
        const id = `ami-${hex(JSON.stringify(filters), 17)}`;
        return {
          id,
          imageId: id,
          name: `pulumi-kubeadm-aws-${hex(id, 8)}`,
          tags,
          ownerId: MOCK_ACCOUNT,
          rootDeviceName: "/dev/sda1",
          architecture: "x86_64",
        };
      }
      case "aws:ec2/getAmiIds:getAmiIds": {
        // components/images/lookup.ts: the plan assumes exactly one image carries exactly the tags asked for.
        const filters: { name: string; values: string[] }[] = i.filters ?? [];
        const tagFilters = filters.filter((f) => f.name.startsWith("tag:"));
        const ids = tagFilters.length > 0 ? [`ami-${hex(JSON.stringify(tagFilters), 17)}`] : [];
        return {
          id: this.ctx.region,
          ids,
          owners: i.owners ?? [],
          filters,
          region: i.region ?? this.ctx.region,
          includeDeprecated: i.includeDeprecated ?? false,
        };
      }
      case "aws:ec2/getSubnet:getSubnet": {
        // An existing subnet whose id ends in a digit d lies in the (d mod n)-th pinned AZ, so a test or
        // a sample bring-your-own-VPC stack can describe a correct (or a wrong) layout; others: by hash.
        const last = /(\d)$/.exec(String(i.id))?.[1];
        const k = (last !== undefined ? Number(last) : Math.abs(parseInt(hex(String(i.id), 4), 16))) % this.ctx.availabilityZones.length;
        return { id: i.id, availabilityZone: this.ctx.availabilityZones[k], vpcId: MOCK_EXISTING_VPC_ID, cidrBlock: `10.0.${k * 16}.0/20` };
      }
      default:
        throw new Error(`the plan's mocks do not know the invoke ${args.token}; add it to tools/plan/mocks.ts with a realistic result`);
    }
  }
}
