/** systemd units and kernel settings a node installs, pure strings. */
import { FILES, UNITS } from "./paths";

/**
 * Runs the boot script once per boot (it exits at once on a bootstrapped node). The boot script comes
 * with the bundle, so on the first boot the unit fetches the bundle first (`--first-boot`: nothing once
 * the script is installed). No start timeout: the script has its own deadline (`bootBudgetSeconds`,
 * from its env), so systemd never kills a boot that is still within its attempts.
 */
export function bootstrapServiceUnit(role: string): string {
  return `[Unit]
Description=kubeadm-aws: configure and start this node (${role})
Wants=network-online.target
After=network-online.target ${UNITS.containerd}

[Service]
Type=oneshot
RemainAfterExit=yes
Environment=KUBEADM_AWS_ENV=${FILES.env}
ExecStartPre=${FILES.fetchScript} --first-boot
ExecStart=${FILES.bootScript}
TimeoutStartSec=infinity
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`;
}

/** When a periodic unit runs: the `[Timer]` section of its timer. Each span is a systemd time span (`30s`, `5min`, `1h`, `1d 6h`). */
export interface PeriodicSchedule {
  /** `OnBootSec=`: the first run, this long after boot. Required. */
  onBootSec: string;
  /** `OnUnitActiveSec=`: each next run, this long after the previous one started; more than zero. Required. */
  onUnitActiveSec: string;
  /** `RandomizedDelaySec=`: each run waits a random time up to this, so nodes booted together do not run together. Required. */
  randomizedDelaySec: string;
  /** `AccuracySec=`: how far systemd may move a run to coalesce wake-ups. @default undefined (no line: systemd's 1min) */
  accuracySec?: string;
  /**
   * `Persistent=true`: catch up a run missed while the machine was off. systemd honours it only for `OnCalendar=` timers,
   * so with this (monotonic) schedule it changes nothing. @default false (no line)
   */
  persistent?: boolean;
}

/** The two unit texts `periodicUnit` renders: `<name>.service` and `<name>.timer`. */
export interface PeriodicUnits {
  /** The oneshot service. */
  service: string;
  /** The timer that runs it. */
  timer: string;
}

/** A oneshot service and the timer that runs it periodically (`periodicUnit`). */
export interface PeriodicUnitSpec {
  /** The service's `Description=`. Required. */
  description: string;
  /** The timer's `Description=` (says how often). Required. */
  timerDescription: string;
  /** `ExecStart=`: the script the service runs, an absolute path without arguments. Required. */
  execStart: string;
  /**
   * `Environment=` lines after `KUBEADM_AWS_ENV=${FILES.env}` (every service has that one), as name and value; a value
   * has no whitespace, quote, backslash or `%`. @default [] (none)
   */
  environment?: readonly (readonly [name: string, value: string])[];
  /** `After=`: units the service starts after, in this order. @default [] (no After= line) */
  after?: readonly string[];
  /** `ConditionPathExists=`: the service runs only when this path exists (skipped, not failed, otherwise). @default undefined (no condition) */
  conditionPathExists?: string;
  /** When the timer runs the service. Required. */
  schedule: PeriodicSchedule;
  /** `Nice=` of the run, an integer from -20 to 19. @default undefined (no line: systemd's 0) */
  nice?: number;
  /** `IOSchedulingClass=` of the run. @default undefined (no line: the kernel's best-effort) */
  ioSchedulingClass?: "realtime" | "best-effort" | "idle";
}

/** systemd's time span units (systemd.time(7)), in seconds; `m` is a minute, `M` a month. */
const SPAN_UNITS: Record<string, number> = {
  ...Object.fromEntries(["us", "usec", "µs", "μs"].map((u) => [u, 1e-6])),
  ...Object.fromEntries(["ms", "msec"].map((u) => [u, 1e-3])),
  ...Object.fromEntries(["", "s", "sec", "second", "seconds"].map((u) => [u, 1])),
  ...Object.fromEntries(["m", "min", "minute", "minutes"].map((u) => [u, 60])),
  ...Object.fromEntries(["h", "hr", "hour", "hours"].map((u) => [u, 3600])),
  ...Object.fromEntries(["d", "day", "days"].map((u) => [u, 86400])),
  ...Object.fromEntries(["w", "week", "weeks"].map((u) => [u, 604800])),
  ...Object.fromEntries(["M", "month", "months"].map((u) => [u, 2629800])),
  ...Object.fromEntries(["y", "year", "years"].map((u) => [u, 31557600])),
};

/** Seconds of a systemd time span (`30s`, `5min`, `1h30min`, `1d 6h`, `1.5h`; a bare number is seconds), or undefined if it is not one. */
function spanSeconds(span: string): number | undefined {
  const text = span.trim();
  if (text === "") return undefined;
  let total = 0;
  let rest = text;
  while (rest !== "") {
    const m = /^(\d*\.?\d+)\s*([a-zA-Zµμ]*)\s*/.exec(rest);
    const factor = m === null ? undefined : SPAN_UNITS[m[2]!];
    if (m === null || factor === undefined) return undefined;
    total += Number(m[1]) * factor;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/**
 * A oneshot service and the timer that runs it periodically, pure: `{ service, timer }` unit texts, to be installed
 * as `<name>.service` and `<name>.timer` (the timer runs the service of its own name). Every service reads the
 * node's bootstrap env file (`KUBEADM_AWS_ENV`). Throws on a value systemd would read otherwise than meant: a
 * missing, malformed or zero interval, a malformed span, a line break, a relative or quoted ExecStart, a bad
 * Environment= name or value, a Nice= out of range.
 */
export function periodicUnit(spec: PeriodicUnitSpec): PeriodicUnits {
  const problems: string[] = [];
  const s = spec.schedule;
  const spans: [string, string | undefined, boolean][] = [
    ["OnBootSec", s.onBootSec, true],
    ["OnUnitActiveSec", s.onUnitActiveSec, true],
    ["RandomizedDelaySec", s.randomizedDelaySec, true],
    ["AccuracySec", s.accuracySec, false],
  ];
  for (const [key, span, required] of spans) {
    if (span === undefined) {
      if (required) problems.push(`${key} is required`);
      continue;
    }
    const seconds = typeof span === "string" ? spanSeconds(span) : undefined;
    if (seconds === undefined) problems.push(`${key}=${String(span)} is not a systemd time span`);
    else if (key === "OnUnitActiveSec" && seconds === 0) problems.push("OnUnitActiveSec must be more than zero");
  }
  const env = spec.environment ?? [];
  const after = spec.after ?? [];
  const singleLine: [string, string | undefined][] = [
    ["Description", spec.description],
    ["timer Description", spec.timerDescription],
    ["ExecStart", spec.execStart],
    ["ConditionPathExists", spec.conditionPathExists],
    ...after.map((u): [string, string] => ["After", u]),
  ];
  for (const [key, v] of singleLine) if (v !== undefined && /[\r\n]/.test(v)) problems.push(`${key} has a line break`);
  if (!/^\/[^\s"'\\%]+$/.test(spec.execStart)) problems.push(`ExecStart=${spec.execStart} must be an absolute path without arguments`);
  for (const u of after) if (!/^[^\s]+$/.test(u)) problems.push(`After=: "${u}" is not a unit name`);
  const names = new Set<string>(["KUBEADM_AWS_ENV"]);
  for (const [name, value] of env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.push(`Environment=: "${name}" is not a variable name`);
    else if (names.has(name)) problems.push(`Environment=: ${name} is set twice`);
    names.add(name);
    if (!/^[^\s"'\\%]*$/.test(value)) problems.push(`Environment=${name}: the value has whitespace, a quote, a backslash or %`);
  }
  if (spec.nice !== undefined && !(Number.isInteger(spec.nice) && spec.nice >= -20 && spec.nice <= 19))
    problems.push(`Nice=${spec.nice} must be an integer from -20 to 19`);
  if (problems.length > 0) throw new Error(`periodicUnit "${spec.description}": ${problems.join("; ")}`);

  const service = [
    "[Unit]",
    `Description=${spec.description}`,
    ...(after.length > 0 ? [`After=${after.join(" ")}`] : []),
    ...(spec.conditionPathExists !== undefined ? [`ConditionPathExists=${spec.conditionPathExists}`] : []),
    "",
    "[Service]",
    "Type=oneshot",
    `Environment=KUBEADM_AWS_ENV=${FILES.env}`,
    ...env.map(([name, value]) => `Environment=${name}=${value}`),
    `ExecStart=${spec.execStart}`,
    ...(spec.nice !== undefined ? [`Nice=${spec.nice}`] : []),
    ...(spec.ioSchedulingClass !== undefined ? [`IOSchedulingClass=${spec.ioSchedulingClass}`] : []),
    "",
  ].join("\n");
  const timer = [
    "[Unit]",
    `Description=${spec.timerDescription}`,
    "",
    "[Timer]",
    `OnBootSec=${s.onBootSec}`,
    `OnUnitActiveSec=${s.onUnitActiveSec}`,
    ...(s.accuracySec !== undefined ? [`AccuracySec=${s.accuracySec}`] : []),
    `RandomizedDelaySec=${s.randomizedDelaySec}`,
    ...(s.persistent === true ? ["Persistent=true"] : []),
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
  return { service, timer };
}

/** The join token's sync on a control-plane node (`UNITS.tokenSyncService`, `UNITS.tokenSyncTimer`): hourly, once kubeadm wrote admin.conf. */
export function tokenSyncUnits(): PeriodicUnits {
  return periodicUnit({
    description: "kubeadm-aws: keep the current join token valid in the cluster",
    timerDescription: "kubeadm-aws: renew the join token hourly",
    execStart: FILES.tokenSyncScript,
    after: ["network-online.target", UNITS.kubelet],
    conditionPathExists: FILES.adminConf,
    schedule: { onBootSec: "5min", onUnitActiveSec: "1h", randomizedDelaySec: "5min", persistent: true },
  });
}

/** Kernel settings the kubelet's `protectKernelDefaults: true` requires to be set already. */
export function kubeletSysctl(): string {
  return `# kubeadm-aws: the kubelet (protectKernelDefaults) needs these.
vm.overcommit_memory = 1
vm.panic_on_oom = 0
kernel.panic = 10
kernel.panic_on_oops = 1
kernel.keys.root_maxkeys = 1000000
kernel.keys.root_maxbytes = 25000000
`;
}

/** Pod networking needs forwarding and bridged traffic through iptables. */
export function kubernetesNetSysctl(): string {
  return `# kubeadm-aws: pod networking.
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
`;
}

export function kubernetesModules(): string {
  return "overlay\nbr_netfilter\n";
}
