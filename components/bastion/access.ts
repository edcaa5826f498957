/**
 * How an operator reaches a node through the bastion: shell lines, pure. The bastion is an
 * autoscaling group of one, so its address changes when it is replaced; the lines find the current
 * instance by its group's tag instead of pinning an address.
 */

export interface AccessArgs {
  /** The bastion's region (the SSM command names it). Required. */
  region: string;
  /** The bastion's autoscaling group name. Required. */
  asgName: string;
  /** Login user of the image. Required. */
  user: string;
  /** Whether the bastion admits SSH from an allowlist (otherwise it is reached by SSM only). Required. */
  sshEnabled: boolean;
}

export interface AccessLines {
  /** Prints the running bastion's instance id. */
  findInstance: string;
  /** SSH to a node (NODE_IP) with the bastion as jump host (over SSM when SSH ingress is off). */
  sshProxyJump: string;
  /** An SSM Session Manager shell on the bastion. */
  ssmCommand: string;
}

const NODE = "${NODE_IP:?set NODE_IP to the private IP of the node}";

function describe(args: AccessArgs, field: "InstanceId" | "PublicIpAddress"): string {
  return `aws ec2 describe-instances --region ${args.region} --filters "Name=tag:aws:autoscaling:groupName,Values=${args.asgName}" "Name=instance-state-name,Values=running" --query "Reservations[0].Instances[0].${field}" --output text`;
}

/** The access lines for a bastion. */
export function accessLines(args: AccessArgs): AccessLines {
  const findInstance = describe(args, "InstanceId");
  const ssmCommand = `aws ssm start-session --region ${args.region} --target "$(${findInstance})"`;
  const sshProxyJump = args.sshEnabled
    ? `ssh -J "${args.user}@$(${describe(args, "PublicIpAddress")})" "${args.user}@${NODE}"`
    : // No SSH ingress: reach the bastion's sshd through an SSM session, then jump to the node.
      `BASTION_ID="$(${findInstance})" && ssh -o ProxyCommand="ssh -o ProxyCommand='aws ssm start-session --region ${args.region} --target %%h --document-name AWS-StartSSHSession --parameters portNumber=22' -W %h:%p ${args.user}@$BASTION_ID" "${args.user}@${NODE}"`;
  return { findInstance, sshProxyJump, ssmCommand };
}
