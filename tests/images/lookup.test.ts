/**
 * AMI selection under Pulumi mocks: the invoke's filters are exactly the manifest's tags, a pinned
 * id makes no invoke, and no match / several matches fail with our error (custom mocks).
 */
import * as pulumi from "@pulumi/pulumi";
import { AVAILABLE_FILTER, imageFilters, lookupImage, missingImageHelp, selectImageId } from "../../components/images/lookup";
import { DEFAULT_VERSIONS, imageTags, type PlatformVersions } from "../../components/versions/manifest";
import { PlanMocks } from "../../tools/plan/mocks";
import { recordProgram } from "../helpers/record";

interface Call {
  token: string;
  inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The plan's mocks, recording invokes, optionally answering getAmiIds with fixed ids. */
class SpyMocks extends PlanMocks {
  readonly calls: Call[] = [];
  constructor(private readonly amiIds?: string[]) {
    super({ region: "eu-west-1", availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] });
  }
  override call(args: pulumi.runtime.MockCallArgs) {
    this.calls.push({ token: args.token, inputs: args.inputs });
    if (args.token === "aws:ec2/getAmiIds:getAmiIds" && this.amiIds)
      return { id: "eu-west-1", ids: this.amiIds, owners: args.inputs.owners };
    return super.call(args);
  }
}

/** Resolves an Output (rejecting when its apply throws). */
function value<T>(o: pulumi.Output<T>): Promise<T> {
  return (o as unknown as { promise(): Promise<T> }).promise();
}

/**
 * The error a lookup fails with, under the plan's mocks with getAmiIds answering `ids`. An Output
 * carries its failure on several internal promises (value, isKnown, isSecret): a real program fails
 * with the message; here every one of them is awaited so that none is left unhandled.
 */
async function lookupFailure(ids: string[], args: Parameters<typeof lookupImage>[0]): Promise<string | undefined> {
  const mocks = new SpyMocks(ids);
  await withMocks(mocks);
  const out = lookupImage(args) as unknown as { promise(): Promise<string>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
  const results = await Promise.allSettled([out.promise(), out.isKnown, out.isSecret]);
  const reasons = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => (r.reason as Error).message);
  expect(mocks.calls.map((c) => c.token)).toEqual(["aws:ec2/getAmiIds:getAmiIds"]);
  if (reasons.length === 0) return undefined;
  expect(new Set(reasons).size).toBe(1);
  return reasons[0];
}

async function withMocks(mocks: SpyMocks): Promise<void> {
  await pulumi.runtime.setMocks(mocks, "pulumi-kubeadm-aws", "test", false);
}

const tagsOf = (filters: { name: string; values: string[] }[]) =>
  Object.fromEntries(filters.filter((f) => f.name.startsWith("tag:")).map((f) => [f.name.slice(4), f.values]));

describe("lookupImage", () => {
  test.each(["node", "gpu"] as const)(
    "the %s lookup filters on exactly the manifest's tags, owner self, available images",
    async (variant) => {
      const mocks = new SpyMocks();
      await withMocks(mocks);
      const id = await value(lookupImage({ versions: DEFAULT_VERSIONS, variant, region: "eu-west-1" }));
      expect(id).toMatch(/^ami-[0-9a-f]{17}$/);
      expect(mocks.calls.map((c) => c.token)).toEqual(["aws:ec2/getAmiIds:getAmiIds"]);
      const inputs = mocks.calls[0]!.inputs;
      expect(inputs.owners).toEqual(["self"]);
      expect(inputs.region).toBe("eu-west-1");
      expect(inputs.includeDeprecated).toBe(true);
      const expected = Object.fromEntries(Object.entries(imageTags(DEFAULT_VERSIONS, variant)).map(([k, v]) => [k, [v]]));
      expect(tagsOf(inputs.filters)).toEqual(expected);
      expect(inputs.filters.filter((f: { name: string }) => !f.name.startsWith("tag:"))).toEqual([
        { name: "state", values: ["available"] },
      ]);
      expect(inputs.filters).toHaveLength(Object.keys(expected).length + 1);
      expect(inputs).not.toHaveProperty("mostRecent");
    },
  );

  test("node and gpu images are told apart by their tags", () => {
    const node = tagsOf(imageFilters(DEFAULT_VERSIONS, "node"));
    const gpu = tagsOf(imageFilters(DEFAULT_VERSIONS, "gpu"));
    expect(node["pulumi-kubeadm-aws:variant"]).toEqual(["node"]);
    expect(gpu["pulumi-kubeadm-aws:variant"]).toEqual(["gpu"]);
    expect(gpu["pulumi-kubeadm-aws:nvidia-driver"]).toEqual(["570"]);
    expect(node).not.toHaveProperty("pulumi-kubeadm-aws:nvidia-driver");
  });

  test("a pinned id is used as it is, with no lookup", async () => {
    const mocks = new SpyMocks();
    await withMocks(mocks);
    const id = await value(
      lookupImage({ versions: DEFAULT_VERSIONS, variant: "gpu", region: "eu-west-1", pinnedId: "ami-0123456789abcdef0" }),
    );
    expect(id).toBe("ami-0123456789abcdef0");
    expect(mocks.calls).toEqual([]);
  });

  test("no matching image: our error names every tag and how to build the image", async () => {
    const v: PlatformVersions = { ...DEFAULT_VERSIONS, kubernetes: "1.35.4", kubelet: "1.35.4", etcd: "3.6.6", crictl: "1.34.0" };
    const msg = await lookupFailure([], { versions: v, variant: "node", region: "eu-central-1" });
    expect(msg).toBe(missingImageHelp(v, "node", "eu-central-1"));
    for (const [k, val] of Object.entries(imageTags(v, "node"))) expect(msg).toContain(`${k}=${val}`);
    expect(msg).toContain("packer build -only=amazon-ebs.node -var region=eu-central-1");
    expect(msg).toContain("npm run images:vars");
    expect(msg).toContain("cluster.images.nodeAmi");
  });

  test("several matching images: an ambiguity error listing them, never a guess", async () => {
    const msg = await lookupFailure(["ami-0bbbbbbbbbbbbbbbb", "ami-0aaaaaaaaaaaaaaaa"], {
      versions: DEFAULT_VERSIONS,
      variant: "gpu",
      region: "eu-west-1",
    });
    expect(msg).toMatch(
      /^2 gpu images owned by this account in eu-west-1 carry the tags \{.*\}: ami-0aaaaaaaaaaaaaaaa, ami-0bbbbbbbbbbbbbbbb\. /,
    );
    expect(msg).toContain("cluster.images.gpuAmi");
  });

  test("one matching image: no error", async () => {
    expect(
      await lookupFailure(["ami-0aaaaaaaaaaaaaaaa"], { versions: DEFAULT_VERSIONS, variant: "node", region: "eu-west-1" }),
    ).toBeUndefined();
  });

  test("selectImageId: exactly one id is accepted", () => {
    expect(selectImageId(["ami-1", "ami-1"], DEFAULT_VERSIONS, "node", "r")).toBe("ami-1");
    expect(() => selectImageId(undefined, DEFAULT_VERSIONS, "node", "r")).toThrow(/^no available node image/);
    expect(() => selectImageId(["ami-1", "ami-2"], DEFAULT_VERSIONS, "node", "r")).toThrow(/^2 node images/);
    expect(AVAILABLE_FILTER).toEqual({ name: "state", values: ["available"] });
  });

  test("in a recorded program the plan's mocks answer the lookup, with no errors", async () => {
    let id = "";
    const rec = await recordProgram(() => {
      const comp = new pulumi.ComponentResource("pulumi-kubeadm-aws:test:Images", "images");
      lookupImage({ versions: DEFAULT_VERSIONS, variant: "node", region: "eu-west-1" }, { parent: comp }).apply((x) => (id = x));
    });
    expect(rec.errors).toEqual([]);
    expect(id).toMatch(/^ami-[0-9a-f]{17}$/);
  });
});
