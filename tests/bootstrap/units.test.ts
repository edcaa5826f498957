/**
 * `periodicUnit`, the one renderer of the service + timer pairs (token sync, certificate renewal, etcd backup):
 * each field lands in its own section, optional fields leave no line, what systemd would misread is refused,
 * its time spans are the ones systemd parses, and systemd-analyze accepts every pair the library installs.
 */
import * as path from "path";
import { renderBackupUnits } from "../../components/backup";
import { certRenewUnits } from "../../components/bootstrap/cert-renewal";
import { FILES, UNITS } from "../../components/bootstrap/paths";
import { periodicUnit, tokenSyncUnits, type PeriodicUnitSpec } from "../../components/bootstrap/units";
import { runTool, writeTree } from "./tools";

/** `{ section: [key=value, ...] }` of a unit file, in order; a key outside a section is under "". */
function sections(unit: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current = "";
  for (const line of unit.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) current = header[1]!;
    else if (line.trim() !== "") (out[current] ??= []).push(line);
  }
  return out;
}

const FULL: PeriodicUnitSpec = {
  description: "demo service",
  timerDescription: "demo every 10 minutes",
  execStart: "/usr/local/sbin/demo",
  environment: [
    ["DEMO_A", "/etc/demo/a.env"],
    ["DEMO_B", "b"],
  ],
  after: ["network-online.target", "kubelet.service"],
  conditionPathExists: "/etc/demo/ready",
  nice: 5,
  ioSchedulingClass: "idle",
  schedule: { onBootSec: "2min", onUnitActiveSec: "10min", randomizedDelaySec: "1min", accuracySec: "10s", persistent: true },
};

describe("periodicUnit", () => {
  test("each field lands in its section of the service or the timer", () => {
    const { service, timer } = periodicUnit(FULL);
    expect(sections(service)).toEqual({
      Unit: ["Description=demo service", "After=network-online.target kubelet.service", "ConditionPathExists=/etc/demo/ready"],
      Service: [
        "Type=oneshot",
        `Environment=KUBEADM_AWS_ENV=${FILES.env}`,
        "Environment=DEMO_A=/etc/demo/a.env",
        "Environment=DEMO_B=b",
        "ExecStart=/usr/local/sbin/demo",
        "Nice=5",
        "IOSchedulingClass=idle",
      ],
    });
    expect(sections(timer)).toEqual({
      Unit: ["Description=demo every 10 minutes"],
      Timer: ["OnBootSec=2min", "OnUnitActiveSec=10min", "AccuracySec=10s", "RandomizedDelaySec=1min", "Persistent=true"],
      Install: ["WantedBy=timers.target"],
    });
  });

  test("optional fields left out leave no line; the bootstrap env is always there", () => {
    const { service, timer } = periodicUnit({
      description: "d",
      timerDescription: "t",
      execStart: "/x",
      schedule: { onBootSec: "1min", onUnitActiveSec: "1h", randomizedDelaySec: "0" },
    });
    expect(sections(service)).toEqual({
      Unit: ["Description=d"],
      Service: ["Type=oneshot", `Environment=KUBEADM_AWS_ENV=${FILES.env}`, "ExecStart=/x"],
    });
    expect(sections(timer).Timer).toEqual(["OnBootSec=1min", "OnUnitActiveSec=1h", "RandomizedDelaySec=0"]);
  });

  const refused: [string, Partial<PeriodicUnitSpec>, RegExp][] = [
    [
      "a schedule without OnUnitActiveSec",
      { schedule: { onBootSec: "1min", randomizedDelaySec: "1s" } as never },
      /OnUnitActiveSec is required/,
    ],
    ["a zero interval", { schedule: { ...FULL.schedule, onUnitActiveSec: "0s" } }, /more than zero/],
    ["a span systemd does not parse", { schedule: { ...FULL.schedule, onBootSec: "5mins" } }, /OnBootSec=5mins is not a systemd time span/],
    ["a malformed optional span", { schedule: { ...FULL.schedule, accuracySec: "1 minute later" } }, /AccuracySec/],
    ["a line break (a directive smuggled in)", { description: "x\nExecStartPre=/bin/evil" }, /line break/],
    ["a relative ExecStart", { execStart: "kubeadm-aws-token-sync" }, /absolute path/],
    ["ExecStart with arguments", { execStart: "/usr/local/sbin/demo --now" }, /absolute path/],
    ["a second KUBEADM_AWS_ENV", { environment: [["KUBEADM_AWS_ENV", "/elsewhere"]] }, /KUBEADM_AWS_ENV is set twice/],
    ["an Environment= value systemd would split", { environment: [["DEMO", "a b"]] }, /whitespace/],
    ["a specifier in an Environment= value", { environment: [["DEMO", "100%"]] }, /%/],
    ["a bad variable name", { environment: [["1DEMO", "x"]] }, /not a variable name/],
    ["Nice= out of range", { nice: 20 }, /Nice=20/],
  ];
  test.each(refused)("refuses %s", (_, change, message) => {
    expect(() => periodicUnit({ ...FULL, ...change })).toThrow(message);
  });

  test("accepts the time spans systemd accepts and refuses those it refuses (systemd-analyze timespan)", () => {
    const samples = [
      "5min",
      "1h",
      "1d",
      "1d 6h",
      "1h30min",
      "1.5h",
      "30s",
      "2weeks",
      "1y",
      "1 h",
      "250ms",
      "",
      "5mins",
      "5x",
      "min",
      "5min,1h",
      "5.",
    ];
    for (const span of samples) {
      const systemd = runTool("systemd-analyze", ["timespan", span]).status === 0;
      let ours = true;
      try {
        periodicUnit({ ...FULL, schedule: { ...FULL.schedule, onBootSec: span } });
      } catch {
        ours = false;
      }
      expect([span, ours]).toEqual([span, systemd]);
    }
  });
});

describe("the pairs the library installs", () => {
  const pairs: [string, string, { service: string; timer: string }][] = [
    [UNITS.tokenSyncService, UNITS.tokenSyncTimer, tokenSyncUnits()],
    [UNITS.certRenewService, UNITS.certRenewTimer, certRenewUnits()],
    [UNITS.etcdBackupService, UNITS.etcdBackupTimer, renderBackupUnits(UNITS.etcd, FILES.etcdMemberEnv, 15)],
  ];

  test("every unit name is UNITS', each timer is named for its service", () => {
    for (const [service, timer] of pairs) expect(timer).toBe(service.replace(/\.service$/, ".timer"));
    expect(new Set(Object.values(UNITS)).size).toBe(Object.values(UNITS).length);
  });

  test("systemd-analyze verify finds no unknown section or key in them", () => {
    const dir = writeTree(
      pairs.flatMap(([serviceName, timerName, u]) => [
        { path: serviceName, content: u.service },
        { path: timerName, content: u.timer },
      ]),
      "periodic-units-",
    );
    const r = runTool("systemd-analyze", ["verify", "--man=no", ...pairs.flatMap(([s, t]) => [path.join(dir, s), path.join(dir, t)])]);
    // Allowed: the scripts are not installed here, and systemd's own targets and the units ordered after are missing in a container.
    const problems = r.stderr
      .split("\n")
      .filter(
        (l) =>
          l.trim() !== "" &&
          !/is not executable: No such file or directory|Unit (sysinit|basic|shutdown|network-online)\.target not found|Failed to create .*: Unit .*\.target not found/.test(
            l,
          ),
      );
    expect(problems).toEqual([]);
  });
});
