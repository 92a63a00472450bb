// A Standard Webhooks receiver for tests and the demo: verifies every request with node:crypto (independently of the
// service's C# signing) and records what it got. Binds 127.0.0.1 on a free port and prints {"port":N} on stdout.
//
//   POST /hooks/<sink>       a webhook; answered 204, or 500 while the sink is told to fail
//   POST /control/<sink>     {"secrets":["whsec_…"], "failFirst":N, "alwaysFail":bool, "delayMs":N} configures a sink
//   GET  /received/<sink>    [{seq, id, timestamp, type, memberId, body, signatures, verifiedWith:[secret index], status}]
import { createServer } from "node:http";
import { verify } from "./standard-webhooks.mjs";

export { sign, verify } from "./standard-webhooks.mjs";

const sinks = new Map();
let arrivals = 0; // seq: the order requests finished in, across every sink
const sink = (name) => {
  if (!sinks.has(name)) sinks.set(name, { secrets: [], failFirst: 0, alwaysFail: false, delayMs: 0, seen: 0, received: [] });
  return sinks.get(name);
};

const toleranceSeconds = 5 * 60;

const readBody = (req) => new Promise((resolve, reject) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  req.on("error", reject);
});

const server = createServer(async (req, res) => {
  const [, kind, name] = (req.url ?? "").split("/");
  const body = await readBody(req);
  if (req.method === "POST" && kind === "control" && name) {
    Object.assign(sink(name), JSON.parse(body || "{}"));
    res.writeHead(204).end();
    return;
  }
  if (req.method === "GET" && kind === "received" && name) {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(sink(name).received));
    return;
  }
  if (req.method === "POST" && kind === "hooks" && name) {
    const s = sink(name);
    s.seen++;
    const id = req.headers["webhook-id"];
    const timestamp = req.headers["webhook-timestamp"];
    const header = req.headers["webhook-signature"];
    const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= toleranceSeconds;
    const verifiedWith = fresh ? verify(s.secrets, id, timestamp, body, header) : [];
    const failing = s.alwaysFail || s.seen <= s.failFirst;
    let parsed = null;
    try { parsed = JSON.parse(body); } catch { /* recorded as is */ }
    if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs));
    s.received.push({
      seq: ++arrivals, id, timestamp, type: parsed?.type ?? null, memberId: parsed?.data?.memberId ?? null, body,
      signatures: (header ?? "").split(" ").length, verifiedWith, status: failing ? 500 : 204,
    });
    if (failing) res.writeHead(500, { "content-type": "text/plain" }).end("x".repeat(10000));
    else res.writeHead(verifiedWith.length ? 204 : 401).end();
    return;
  }
  res.writeHead(404).end();
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
