// Standard Webhooks 1.0 signatures with node:crypto only, independent of the service's C# signing. Shared by the test
// receiver (receiver.mjs) and the demo (demo.js).
import { createHmac, timingSafeEqual } from "node:crypto";

/** The base64 HMAC-SHA256 of `${id}.${timestamp}.${body}`, keyed with the base64-decoded secret after `whsec_`. */
export function sign(secret, id, timestamp, body) {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
  return createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
}

/** Indexes of the secrets that produced one of the header's space-separated `v1,<base64>` signatures. */
export function verify(secrets, id, timestamp, body, header) {
  const given = (header ?? "").split(" ").filter((s) => s.startsWith("v1,")).map((s) => Buffer.from(s.slice(3), "base64"));
  const matched = [];
  secrets.forEach((secret, i) => {
    const expected = Buffer.from(sign(secret, id, timestamp, body), "base64");
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) matched.push(i);
  });
  return matched;
}
