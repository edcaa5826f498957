/**
 * An Automation API pipeline sketch: create a cluster, upgrade it in place or by node replacement,
 * or replace it blue/green, all driven from TypeScript instead of a shell script.
 *
 * IT CANNOT RUN IN THIS REPOSITORY'S SANDBOX: the Automation API drives the `pulumi` CLI, which is
 * not installed here, and it deploys to real AWS. It is typechecked (`npx tsc --noEmit -p .`) so it
 * keeps up with the library's API. Run it where the CLI, a backend (`pulumi login`) and AWS
 * credentials are available:
 *
 *   npx tsx examples/automation/pipeline.ts create  prod-blue
 *   npx tsx examples/automation/pipeline.ts upgrade prod-blue 1.37.2
 *   npx tsx examples/automation/pipeline.ts blue-green prod-blue prod-green 1.37.2
 *
 * Each stack's program is inline: it resolves a ClusterSpec from a plain object (no stack config
 * file) and builds the same components the stack program builds.
 */
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { resolveClusterSpec } from "../../components/config";
import { buildCluster } from "../../stacks/build";

const PROJECT = "pulumi-kubeadm-aws-pipeline";
const REGION = "eu-west-1";

/** The cluster config a pipeline stage deploys: the same shape as `pulumi-kubeadm-aws:cluster` in a stack file. */
export function clusterConfig(name: string, kubernetes?: string): Record<string, unknown> {
  return {
    name,
    tier: "critical",
    region: REGION,
    availabilityZones: [`${REGION}a`, `${REGION}b`, `${REGION}c`],
    api: { domain: "k8s.example.internal" },
    ...(kubernetes ? { versions: { kubernetes } } : {}),
    nodePools: [
      { name: "general", preset: "general", minSize: 3, maxSize: 30, desiredSize: 6 },
      { name: "ingress", preset: "ingress", minSize: 3, maxSize: 9 },
    ],
  };
}

async function stackFor(stackName: string, config: Record<string, unknown>): Promise<Stack> {
  const stack = await LocalWorkspace.createOrSelectStack({
    stackName,
    projectName: PROJECT,
    // Validation happens here, before the engine starts: a bad config fails with every problem listed.
    program: async () => buildCluster(resolveClusterSpec(config)),
  });
  await stack.setConfig("aws:region", { value: REGION });
  return stack;
}

/** Creates (or converges) a cluster stack and prints its outputs. */
export async function create(stackName: string, kubernetes?: string): Promise<Record<string, unknown>> {
  const stack = await stackFor(stackName, clusterConfig(stackName, kubernetes));
  const up = await stack.up({ onOutput: (line) => process.stdout.write(line) });
  return Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value]));
}

/**
 * Upgrades a cluster to a new Kubernetes version: preview first and stop when the change would
 * replace anything stateful; then `up`. Control-plane nodes are replaced one at a time (their
 * dependsOn chain); node pools roll by instance refresh.
 */
export async function upgrade(stackName: string, kubernetes: string): Promise<void> {
  const stack = await stackFor(stackName, clusterConfig(stackName, kubernetes));
  const preview = await stack.preview({ diff: true });
  const replaces = preview.changeSummary.replace ?? 0;
  console.log(`upgrade ${stackName} to ${kubernetes}: ${JSON.stringify(preview.changeSummary)}`);
  if (preview.stdout.includes("aws:ebs/volume:Volume") && replaces > 0) {
    throw new Error("the upgrade would replace an etcd data volume; refusing (see docs/etcd.md)");
  }
  await stack.up({ onOutput: (line) => process.stdout.write(line) });
}

/**
 * Blue/green: build a second cluster (green) with the new version next to the running one (blue),
 * let the caller move workloads and traffic, then destroy blue. The clusters have separate
 * names, so their API names (`api.<name>.<domain>`), groups and roles never collide.
 */
export async function blueGreen(
  blue: string,
  green: string,
  kubernetes: string,
  cutover: (greenOutputs: Record<string, unknown>) => Promise<boolean>,
): Promise<void> {
  const greenOutputs = await create(green, kubernetes);
  if (!(await cutover(greenOutputs))) {
    console.log(`cut-over to ${green} not confirmed; ${blue} keeps serving and ${green} stays for inspection`);
    return;
  }
  // Stateful resources of a protected tier refuse deletion: unprotect them deliberately first
  // (`pulumi state unprotect --all -s <blue>`) once the etcd backup of blue is no longer needed.
  const old = await stackFor(blue, clusterConfig(blue));
  await old.destroy({ onOutput: (line) => process.stdout.write(line) });
}

async function cli(argv: string[]): Promise<void> {
  const [command, a, b, c] = argv;
  switch (command) {
    case "create":
      console.log(await create(a!, b));
      break;
    case "upgrade":
      await upgrade(a!, b!);
      break;
    case "blue-green":
      await blueGreen(a!, b!, c!, async (out) => {
        console.log("green is up:", out, "- move traffic, then confirm");
        return process.env.CONFIRM_CUTOVER === "yes";
      });
      break;
    default:
      throw new Error("usage: pipeline.ts create <stack> [k8s] | upgrade <stack> <k8s> | blue-green <blue> <green> <k8s>");
  }
}

if (require.main === module) {
  cli(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
