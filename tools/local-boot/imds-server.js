#!/usr/bin/env node
// Instance metadata stand-in (IMDSv2 only, as the launch templates require): answers each machine by
// its source address from the JSON file given as argv[2] (re-read per request, so machines can be added).
// PUT /latest/api/token gives a session token; every GET needs one. Serves what the boot reads
// (local-hostname, instance-id, local-ipv4, placement) and the instance role's credentials.
"use strict";
const http = require("http");
const crypto = require("crypto");
const fs = require("fs");
const [, , mapFile, host = "169.254.169.254", port = "80"] = process.argv;
const tokens = new Set();

function machines() {
  return JSON.parse(fs.readFileSync(mapFile, "utf8"));
}

http
  .createServer((req, res) => {
    const from = (req.socket.remoteAddress || "").replace(/^::ffff:/, "");
    const m = machines()[from];
    const send = (code, body) => {
      res.writeHead(code, { "Content-Type": "text/plain" });
      res.end(body);
    };
    if (!m) return send(404, "unknown machine");
    if (req.method === "PUT" && req.url === "/latest/api/token") {
      if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return send(400, "missing ttl");
      const t = crypto.randomBytes(24).toString("base64");
      tokens.add(t);
      return send(200, t);
    }
    if (req.method !== "GET") return send(405, "");
    if (!tokens.has(req.headers["x-aws-ec2-metadata-token"])) return send(401, "");
    const meta = {
      "/latest/meta-data/local-hostname": m.hostname,
      "/latest/meta-data/hostname": m.hostname,
      "/latest/meta-data/instance-id": m.instanceId,
      "/latest/meta-data/local-ipv4": m.ip,
      "/latest/meta-data/placement/availability-zone": m.zone,
      "/latest/meta-data/placement/region": m.region,
      "/latest/meta-data/iam/security-credentials/": m.role,
    };
    const url = req.url.split("?")[0];
    if (url in meta) return send(200, meta[url]);
    if (url === `/latest/meta-data/iam/security-credentials/${m.role}`) {
      const expiration = new Date(Date.now() + 6 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
      return send(
        200,
        JSON.stringify({
          Code: "Success",
          Type: "AWS-HMAC",
          AccessKeyId: "ASIALOCALBOOT",
          SecretAccessKey: "local-boot",
          Token: "local-boot",
          Expiration: expiration,
          LastUpdated: new Date().toISOString(),
        }),
      );
    }
    return send(404, "");
  })
  .listen(Number(port), host, () => process.stdout.write(`imds listening on ${host}:${port}\n`));
