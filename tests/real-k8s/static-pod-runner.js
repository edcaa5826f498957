#!/usr/bin/env node
/*
 * Stands in for the kubelet on a control-plane machine of the real-control-plane tests, where no
 * container runtime exists: it watches the static Pod manifest folder kubeadm writes and runs each
 * container's command line, exactly as kubeadm generated it, with the built binary of the same name
 * (the image's entrypoint). Host paths are the machine's own (hostNetwork, hostPath volumes), so no
 * flag is changed. Containers restart when they exit (restartPolicy Always) and when their manifest
 * changes. It also answers the kubelet's health endpoint (127.0.0.1:10248/healthz), which kubeadm
 * waits for before it waits for the control plane.
 *
 *   node static-pod-runner.js MANIFEST_DIR BIN_DIR LOG_DIR
 */
"use strict";
const { spawn } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const path = require("path");
const YAML = require(require.resolve("yaml", { paths: [path.resolve(__dirname, "..", "..")] }));

const [manifestDir, binDir, logDir] = process.argv.slice(2);
if (!manifestDir || !binDir || !logDir) {
  process.stderr.write("usage: static-pod-runner.js MANIFEST_DIR BIN_DIR LOG_DIR\n");
  process.exit(2);
}
fs.mkdirSync(logDir, { recursive: true });

/** manifest file -> { hash, containers: [{ name, argv, env, child, stopped }] } */
const pods = new Map();
let stopping = false;

function note(line) {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function startContainer(pod, c) {
  if (stopping || c.stopped) return;
  const bin = path.join(binDir, path.basename(c.argv[0]));
  const log = fs.openSync(path.join(logDir, `${pod}_${c.name}.log`), "a");
  const child = spawn(bin, c.argv.slice(1), { env: { PATH: process.env.PATH, ...c.env }, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  c.child = child;
  note(`started ${pod}/${c.name} (pid ${child.pid}): ${path.basename(c.argv[0])} ${c.argv.length - 1} args`);
  child.on("error", (e) => note(`${pod}/${c.name}: ${e.message}`));
  child.on("exit", (code, signal) => {
    note(`${pod}/${c.name} exited (${signal ?? code})`);
    c.child = undefined;
    if (!c.stopped && !stopping) setTimeout(() => startContainer(pod, c), 1000);
  });
}

function stopPod(file) {
  const p = pods.get(file);
  if (!p) return;
  for (const c of p.containers) {
    c.stopped = true;
    if (c.child) c.child.kill("SIGTERM");
  }
  pods.delete(file);
}

function containersOf(doc) {
  const spec = (doc && doc.spec) || {};
  return (spec.containers || []).map((c) => ({
    name: c.name,
    argv: [...(c.command || []), ...(c.args || [])],
    env: Object.fromEntries((c.env || []).filter((e) => typeof e.value === "string").map((e) => [e.name, e.value])),
    child: undefined,
    stopped: false,
  }));
}

function sync() {
  let files;
  try {
    files = fs.readdirSync(manifestDir).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"));
  } catch {
    files = [];
  }
  for (const file of [...pods.keys()]) if (!files.includes(file)) stopPod(file);
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(path.join(manifestDir, file), "utf8");
    } catch {
      continue;
    }
    const hash = crypto.createHash("sha256").update(text).digest("hex");
    if (pods.get(file)?.hash === hash) continue;
    let doc;
    try {
      doc = YAML.parse(text);
    } catch (e) {
      note(`${file}: not YAML yet (${e.message})`);
      continue;
    }
    stopPod(file);
    const pod = (doc.metadata && doc.metadata.name) || path.basename(file, path.extname(file));
    const containers = containersOf(doc);
    pods.set(file, { hash, containers });
    for (const c of containers) startContainer(pod, c);
  }
}

const health = http.createServer((req, res) => {
  res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "text/plain" });
  res.end(req.url === "/healthz" ? "ok" : "not found");
});
health.listen(10248, "127.0.0.1");

const timer = setInterval(sync, 500);
sync();

function shutdown() {
  stopping = true;
  clearInterval(timer);
  health.close();
  for (const file of [...pods.keys()]) stopPod(file);
  setTimeout(() => process.exit(0), 300);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
