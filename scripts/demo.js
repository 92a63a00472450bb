// Walks the main flow through the HTTP API of a running system (./scripts/run.sh) and prints, as its
// last line, one JSON object with the figures. Only 127.0.0.1 is contacted.
// It also receives the program's webhooks itself: a receiver in this process on 127.0.0.1 (a free port), registered
// through the API, verifies every delivery's Standard Webhooks signature with node:crypto and is stopped at the end.
import fs from "node:fs";
import { createServer } from "node:http";
import { ethers } from "ethers";
import { verify } from "./webhooks/standard-webhooks.mjs";

const env = Object.fromEntries(fs.readFileSync(".run/env", "utf8").trim().split("\n").map((l) => l.split("=")));
const api = env.LC_API_URL;
const rootKey = fs.readFileSync(env.LC_ROOT_KEY_FILE, "utf8").trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const run = Date.now().toString(36);

async function call(method, path, key, body, idempotencyKey) {
  const headers = { "content-type": "application/json", "x-api-key": key };
  if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
  const res = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (res.status >= 400) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return json;
}

async function until(what, check, seconds = 120) {
  for (let i = 0; i < seconds * 4; i++) {
    const value = await check();
    if (value) return value;
    await sleep(250);
  }
  throw new Error("timed out waiting for " + what);
}

const log = (...a) => console.log("  ", ...a);

// The webhook receiver. Each request is verified against the endpoint's secret (known once registered) and recorded
// by message id; 204 when the signature holds, 401 otherwise (the service then retries, and the demo reports false).
const hooks = { secret: null, received: new Map(), requests: 0, invalid: 0, types: new Map() };
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const id = req.headers["webhook-id"];
    const timestamp = req.headers["webhook-timestamp"];
    const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 5 * 60;
    const valid = req.method === "POST" && !!id && !!hooks.secret && fresh
      && verify([hooks.secret], id, timestamp, body, req.headers["webhook-signature"]).length > 0;
    hooks.requests++;
    if (!valid) hooks.invalid++;
    if (id && !hooks.received.has(id)) {
      let type = null;
      try { type = JSON.parse(body).type; } catch { /* counted as received all the same */ }
      hooks.received.set(id, type);
      hooks.types.set(type, (hooks.types.get(type) ?? 0) + 1);
    }
    res.writeHead(valid ? 204 : 401).end();
  });
});
await new Promise((resolve, reject) => receiver.once("error", reject).listen(0, "127.0.0.1", resolve));
const stopReceiver = () => new Promise((resolve) => { receiver.close(() => resolve()); receiver.closeAllConnections(); });

console.log("1. create a program (its contracts deploy through the transaction pipeline)");
const created = await call("POST", "/v1/programs", rootKey, {
  name: "Demo Bakery " + run, pointName: "Crumbs", pointSymbol: "CRUMB", decimals: 0, currency: "EUR",
  pendingPeriodSeconds: 8, timeZone: "UTC",
});
const p = `/v1/programs/${created.program.id}`;
const key = created.adminKey;
const program = await until("program to become active", async () => {
  const x = await call("GET", p, key);
  if (x.status === "Failed") throw new Error("program failed: " + x.statusDetail);
  return x.status === "Active" ? x : null;
});
log(`program #${program.id} active: points ${program.pointsContract}`);

console.log("1b. a webhook endpoint for every event type, received and verified by this script");
const endpoint = await call("POST", `${p}/webhooks`, key, { url: `http://127.0.0.1:${receiver.address().port}/hooks`, eventTypes: ["*"],
  description: "demo.js receiver" }, `webhook-${run}`);
if (!endpoint.secret?.startsWith("whsec_")) throw new Error("the webhook endpoint came without a whsec_ secret");
hooks.secret = endpoint.secret;
log(`endpoint #${endpoint.id} -> 127.0.0.1:${receiver.address().port} (the whsec_ secret is shown once, kept in memory only)`);

console.log("2. earning rules and a campaign");
await call("POST", `${p}/rules`, key, { name: "1 crumb per euro", trigger: "purchase", priority: 10,
  effect: { kind: "PerCurrencyUnit", points: 1, perMinorUnits: 100, rounding: "Floor" } });
await call("POST", `${p}/rules`, key, { name: "review bonus", trigger: "review", effect: { kind: "Fixed", points: 25 },
  limits: { perMemberPerDay: 25 } });
await call("POST", `${p}/rules`, key, { name: "referral bonus", trigger: "referral", effect: { kind: "Fixed", points: 100 } });
const now = new Date();
await call("POST", `${p}/rules`, key, { name: "double crumbs this weekend", trigger: "purchase", priority: 50,
  effect: { kind: "Multiplier", multiplierNumerator: 2, multiplierDenominator: 1 },
  startsAt: new Date(now.getTime() - 60_000).toISOString(), endsAt: new Date(now.getTime() + 3_600_000).toISOString() });
log("4 rules, one of them a campaign with a time window");

console.log("2b. tiers: bronze, silver at 40 and gold at 120 crumbs earned in the calendar year");
await call("PUT", `${p}/tiers`, key, { metric: "points_earned", window: "calendar_year", downgrade: "at_period_end", graceDays: 30,
  levels: [{ name: "bronze", threshold: "0" }, { name: "silver", threshold: "40" }, { name: "gold", threshold: "120", multiplierPercent: 110 }] });
log("a member is upgraded in the same transaction as the purchase that qualifies; downgrades only at the year's end");

console.log("2c. engagement: a referral policy, and a coffee journey that awards a collectible stamp");
await call("PUT", `${p}/referrals/policy`, key, { active: true, referrerReward: { points: "50" }, refereeReward: { points: "25" } });
const stamp = await call("POST", `${p}/drops`, key, { name: "Coffee Journey Stamp", description: "Visited, bought and reviewed", maxSupply: 100,
  soulbound: false, audience: { kind: "Explicit" } });
await call("POST", `${p}/drops/${stamp.id}/publish`, key);
await until("the stamp drop to be published", async () => (await call("GET", `${p}/drops/${stamp.id}`, key)).drop.status === "Published");
const journey = await call("POST", `${p}/challenges`, key, { name: "Coffee journey", ordered: true,
  startsAt: new Date(Date.now() - 3_600_000).toISOString(),
  steps: [{ name: "Visit the shop", eventType: "visit" }, { name: "Buy for 5 EUR or more", eventType: "purchase", conditions: { minAmount: 500 } },
    { name: "Write a review", eventType: "review" }],
  reward: { points: "20", dropId: stamp.id } });
log(`referrals reward 50 + 25 crumbs once the referee's first purchase is past its return window; journey #${journey.id}: visit, buy, review`);

console.log("3. enrol members (each gets a custodial wallet)");
const members = [];
for (let i = 1; i <= 6; i++) {
  const m = await call("POST", `${p}/members`, key, { externalId: `cust-${i}`, email: `cust${i}@example.com`, tier: i % 2 ? "gold" : "silver" });
  members.push(m.memberId);
}
const code = (await call("GET", `${p}/members/${members[0]}/referrals`, key)).code;
const referee = await call("POST", `${p}/members`, key, { externalId: "cust-7", email: "cust7@example.com", referralCode: code });
members.push(referee.memberId);
const selfReferral = await call("POST", `${p}/members`, key, { externalId: "cust-8", email: " CUST1@example.com", referralCode: code });
const refused = (await call("GET", `${p}/members/${members[0]}/referrals`, key)).referrals.find((r) => r.referee === selfReferral.memberId);
log(`${members.length} members; cust-7 enrolled with ${members[0]}'s code ${code}; cust-8 with the same e-mail as the referrer: ${refused.status} (${refused.reason})`);

console.log("4. purchases and actions");
let events = 0;
for (const m of members.slice(0, 2)) { await call("POST", `${p}/events`, key, { type: "visit", memberId: m, eventId: `visit-${m}` }); events++; }
for (let i = 0; i < 24; i++) {
  const r = await call("POST", `${p}/events`, key, { type: "purchase", memberId: members[i % members.length],
    eventId: `order-${i}`, amount: `${5 + (i * 7) % 40}.${(i * 13) % 100}`.replace(/\.(\d)$/, ".0$1"), currency: "EUR" }, `evt-${run}-${i}`);
  events++;
  if (i === 0) log(`order-0: ${r.points} crumbs; rules: ${r.rules.filter((x) => x.fired).map((x) => x.reason).join(" | ")}`);
}
for (let i = 0; i < members.length; i++) { await call("POST", `${p}/events`, key, { type: "review", memberId: members[i], eventId: `review-${i}` }); events++; }
await call("POST", `${p}/events`, key, { type: "referral", memberId: members[0], eventId: "referral-0" }); events++;
const replay = await call("POST", `${p}/events`, key, { type: "referral", memberId: members[0], eventId: "referral-0" });
log(`${events} events accepted; sending one again is replayed, not credited twice (replayed=${replay.replayed})`);
let tierUpgrades = 0;
for (const m of members) {
  const changes = await call("GET", `${p}/members/${m}/tier-changes`, key);
  tierUpgrades += changes.items.filter((c) => c.reason === "qualified").length;
}
const status0 = (await call("GET", `${p}/members/${members[0]}`, key)).tierStatus;
log(`${tierUpgrades} tier upgrades; ${members[0]} is ${status0.current}` + (status0.next ? `, ${status0.remaining} crumbs to ${status0.next} by ${status0.by}` : ""));

console.log("5. a return claws back the points of that order");
const ret = await call("POST", `${p}/events`, key, { type: "return", memberId: members[0], eventId: "return-0", orderId: "order-0" });
events++;
log(`return of order-0: ${ret.clawedBack} crumbs clawed back`);

console.log("6. settlement: pending points mature, then mint in batches");
await sleep(9000);
await until("settlement", async () => {
  await call("POST", `${p}/settlement/run`, key);
  const s = await call("GET", `${p}/settlement`, key);
  return s.queuedIntents === 0 && s.batchedIntents === 0 && s.ledger.pending === "0" ? s : null;
});
let settlement = await call("GET", `${p}/settlement`, key);
const mintTxs = settlement.batches.filter((b) => b.kind === "mint" && b.status === "Confirmed").length;
log(`${settlement.confirmedIntents} mint intents in ${mintTxs} mintBatch transaction(s): ${settlement.batches.map((b) => b.txHash).join(", ")}`);

const referrals = (await call("GET", `${p}/members/${members[0]}/referrals`, key)).referrals;
const referralsRewarded = referrals.filter((r) => r.status === "Rewarded").length;
log(`${members[0]}'s referrals: ${referrals.map((r) => `${r.referee} ${r.status}${r.reason ? " " + r.reason : ""} (+${r.referrerPoints}/+${r.refereePoints})`).join(", ")}`);
const journeys = await until("the journey stamps", async () => {
  const views = [];
  for (const m of members.slice(0, 2)) views.push((await call("GET", `${p}/members/${m}/challenges`, key)).find((c) => c.id === journey.id));
  return views.every((v) => v.awards.length > 0 && v.awards.every((a) => a.status === "Awarded" && a.mintStatus === "Minted")) ? views : null;
});
const challengesCompleted = journeys.reduce((n, v) => n + v.completions, 0);
log(`journey completed ${challengesCompleted} times; stamps ${journeys.map((v) => "#" + v.awards[0].tokenId).join(", ")} minted, +${journeys[0].reward.points} crumbs each`);
await until("the award mints", async () => {
  await call("POST", `${p}/settlement/run`, key);
  const s = await call("GET", `${p}/settlement`, key);
  return s.queuedIntents === 0 && s.batchedIntents === 0 && s.ledger.pending === "0" ? s : null;
});

console.log("6b. a collectible drop for gold members, airdropped in mintBatch transactions");
const drop = await call("POST", `${p}/drops`, key, { name: "Founders' Mug", description: "For our first gold members", maxSupply: 100,
  soulbound: false, attributes: [{ traitType: "edition", value: "2026" }], audience: { kind: "Rule", tiers: ["gold"] } });
await call("POST", `${p}/drops/${drop.id}/publish`, key);
const publishedDrop = await until("the drop to be published", async () => {
  const d = await call("GET", `${p}/drops/${drop.id}`, key);
  return d.drop.status === "Published" ? d : null;
});
await call("POST", `${p}/drops/${drop.id}/airdrop`, key, {});
const minted = await until("the airdrop", async () => {
  const d = await call("GET", `${p}/drops/${drop.id}`, key);
  return d.planned > 0 && d.minted === d.planned ? d : null;
});
const firstToken = (BigInt(publishedDrop.drop.onChainDropId) << 64n) | 1n;
const provider721 = new ethers.JsonRpcProvider(env.LC_RPC_URL, undefined, { staticNetwork: true });
const collectible = new ethers.Contract(program.collectibleContract, ["function tokenURI(uint256) view returns (string)"], provider721);
const tokenUri = await collectible.tokenURI(firstToken);
const metadata = await (await fetch(tokenUri)).json();
log(`${minted.minted} tokens minted in ${minted.transactions.filter((t) => t.purpose !== "drop.create").length} transaction(s); tokenURI ${tokenUri} -> "${metadata.name}"`);

console.log("7. redeem a reward: points reserved at once, burned on chain with the member's signature (no gas for them)");
const reward = await call("POST", `${p}/rewards`, key, { type: "DiscountCoupon", name: "5 EUR off", cost: "20", stock: 100, perMemberLimit: 3,
  attributes: { category: "bakery" } });
const segment = await call("POST", `${p}/segments`, key, { name: "Gold members", definition: { tiers: ["gold"] } });
const goldCount = (await call("GET", `${p}/segments/${segment.id}/count`, key)).members;
await call("POST", `${p}/offers`, key, { name: "Gold price", kind: "reward_price", segmentId: segment.id, rewardId: reward.id, cost: "15",
  endsAt: new Date(Date.now() + 7 * 86_400_000).toISOString() });
let offersShown = 0;
for (const m of members) offersShown += (await call("GET", `${p}/members/${m}/offers`, key)).offers.length;
const offers0 = await call("GET", `${p}/members/${members[0]}/offers`, key);
log(`segment "Gold members": ${goldCount} members; the gold price offer was shown ${offersShown} times; ` +
  `recommended for ${members[0]}: ${offers0.recommended.map((r) => `${r.name} (${r.reason})`).join("; ") || "none"}`);
const redemption = await call("POST", `${p}/members/${members[0]}/redemptions`, key, { rewardId: reward.id }, `redeem-${run}`);
await until("the burn", async () => (await call("GET", `${p}/redemptions/${redemption.id}`, key)).status === "Completed");
log(`${members[0]} redeemed "${reward.name}" for ${redemption.cost} crumbs (regular ${reward.cost}): coupon ${redemption.couponCode}, burned on chain`);
const shopKey = (await call("POST", `${p}/api-keys`, key, { role: "shop", name: "till 1" })).key;
const checked = await call("POST", `${p}/coupons/${redemption.couponCode}/validate`, shopKey);
const used = await call("POST", `${p}/coupons/${redemption.couponCode}/use`, shopKey, { orderId: "till-order-1" }, `use-${run}`);
const recheck = await call("POST", `${p}/coupons/${redemption.couponCode}/validate`, shopKey);
const couponUsed = checked.valid && used.usedAt !== null && !recheck.valid && recheck.reason === "USED";
log(`at the till: the code is valid for "${checked.reward.name}" of ${checked.member.memberId}; used once, then ${recheck.reason}`);

console.log("8. take the points home: link a self-custody wallet (Sign-In-With-Ethereum) and withdraw");
const wallet = ethers.Wallet.createRandom();
const challenge = await call("POST", `${p}/members/${members[1]}/wallet/challenge`, key, { address: wallet.address });
await call("POST", `${p}/members/${members[1]}/wallet/link`, key, { message: challenge.message, signature: await wallet.signMessage(challenge.message) });
const before = await call("GET", `${p}/members/${members[1]}`, key);
const token = (await call("POST", `${p}/members/${members[1]}/tokens`, key)).token;
const withdrawn = await fetch(`${api}${p}/members/${members[1]}/withdrawals`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
if (withdrawn.status !== 202) throw new Error("withdrawal refused: " + await withdrawn.text());
const publicBalance = await until("the withdrawal", async () => {
  const b = await (await fetch(`${api}/v1/public/programs/${program.id}/balances/${wallet.address}`)).json();
  return b.balance === before.balance.onChain ? b : null;
});
log(`${members[1]} (member token) withdrew ${publicBalance.balance} crumbs to ${wallet.address}`);

console.log("9. a partner verifies on chain, without trusting us");
const partnerKey = (await call("POST", `${p}/api-keys`, key, { role: "partner", name: "coffee partner" })).key;
const attestation = await call("POST", `${p}/attestations`, partnerKey, { address: wallet.address, minBalance: publicBalance.balance });
const published = await (await fetch(`${api}/v1/public/programs/${program.id}/attestation-key`)).json();
const { EIP712Domain, ...types } = attestation.typedData.types;
const signer = ethers.verifyTypedData(attestation.typedData.domain, types, attestation.typedData.message, attestation.signature);
const provider = new ethers.JsonRpcProvider(env.LC_RPC_URL, undefined, { staticNetwork: true });
const token20 = new ethers.Contract(program.pointsContract, ["function balanceOf(address) view returns (uint256)"], provider);
const onChain = await token20.balanceOf(wallet.address, { blockTag: publicBalance.blockNumber });
const partnerVerified = signer === published.address && onChain.toString() === publicBalance.balance
  && (await provider.getBlock(publicBalance.blockNumber)).hash === publicBalance.blockHash;
log(`attestation signed by ${signer} (published key: ${published.address}); balance re-read from the node at block ${publicBalance.blockNumber}: ${onChain}`);

console.log("9b. support adjusts points: a goodwill grant (minted like an accrual) and a correction (burned)");
const granted = await call("POST", `${p}/members/${members[2]}/adjustments`, key, { type: "grant", points: "15", reason: "goodwill", comment: "late order" }, `grant-${run}`);
const deducted = await call("POST", `${p}/members/${members[2]}/adjustments`, key, { type: "deduct", points: "10", reason: "correction" }, `deduct-${run}`);
const adjustedPoints = Number(granted.applied) + Number(deducted.applied);
log(`${members[2]}: +${granted.applied} (goodwill), -${deducted.applied} (correction: ${deducted.cancelledBeforeMint} cancelled before minting, ${deducted.burned} burned)`);

console.log("9c. expiry: under a fixed policy each earning expires; minted custodial points are burned");
await call("PATCH", p, key, { expiry: { policy: "fixed", days: 0 } });
await call("POST", `${p}/events`, key, { type: "purchase", memberId: members[3], eventId: "order-expiring", amount: "30.00" }, `evt-${run}-expiring`);
events++;
await sleep(9000); // the return window (8 s) closes, the points become available with an expiry of "now"
await until("the expiring points to be minted", async () => {
  await call("POST", `${p}/settlement/run`, key);
  const s = await call("GET", `${p}/settlement`, key);
  return s.queuedIntents === 0 && s.batchedIntents === 0 && s.ledger.pending === "0" ? s : null;
});
const expiry = await call("POST", `${p}/expiry/run`, key, undefined, `expiry-${run}`);
await call("PATCH", p, key, { expiry: { policy: "none" } });
await until("the expiry burn", async () => {
  const m = await call("GET", `${p}/members/${members[3]}`, key);
  return m.balance.reserved === "0" && m.balance.onChain === m.balance.available ? m : null;
});
log(`${expiry.expired} crumbs of ${expiry.members} member(s) expired (${expiry.cancelledBeforeMint} cancelled before minting, ${expiry.burning} burned)`);
await until("the correction burn", async () => {
  const m = await call("GET", `${p}/members/${members[2]}`, key);
  return m.balance.reserved === "0" && m.balance.onChain === m.balance.available ? m : null;
});

console.log("10. reconcile the ledger with the chain");
const report = await call("POST", `${p}/reconciliation`, key);
settlement = await call("GET", `${p}/settlement`, key);
const ledgerTotal = BigInteger(settlement.ledger.pending) + BigInteger(settlement.ledger.available) + BigInteger(settlement.ledger.reserved);
log(`block ${report.block}: ledger ${ledgerTotal}, totalSupply ${report.chainTotalSupply}, drifts ${report.driftCount}`);
const history = await call("GET", `${p}/members/${members[1]}/history?limit=3`, key);
log(`history of ${members[1]} (newest first): ${history.items.map((h) => `${h.kind} ${h.account} ${h.amount}${h.txHash ? " tx " + h.txHash.slice(0, 10) + "…" : ""}`).join("; ")}`);

console.log("11. webhooks: wait for every delivery of the events above, each signature checked here");
// Done when the service has no delivery left open, every delivered message reached us, and nothing new was fanned out
// for two dispatcher passes (Jobs:WebhooksCron, every 2 s). At most 60 s.
async function deliveryLog() {
  const items = [];
  for (let before = null; ;) {
    const page = await call("GET", `${p}/webhooks/${endpoint.id}/deliveries?limit=200${before ? "&before=" + before : ""}`, key);
    items.push(...page.items);
    if (!page.next) return items;
    before = page.next;
  }
}
let settledSince = null, lastCount = -1, deliveries = [];
const hooksDeadline = Date.now() + 60_000;
while (Date.now() < hooksDeadline) {
  deliveries = await deliveryLog();
  const open = deliveries.filter((d) => d.status === "pending" || d.status === "failed").length;
  const missing = deliveries.filter((d) => d.status === "delivered" && !hooks.received.has(d.messageId)).length;
  const quiet = open === 0 && missing === 0 && deliveries.length === lastCount && deliveries.length > 0;
  settledSince = quiet ? settledSince ?? Date.now() : null;
  lastCount = deliveries.length;
  if (settledSince && Date.now() - settledSince >= 4000) break;
  await sleep(500);
}
await stopReceiver();
const webhooksDelivered = hooks.received.size;
const webhookSignaturesValid = webhooksDelivered > 0 && hooks.invalid === 0;
const stillOpen = deliveries.filter((d) => d.status !== "delivered").length;
log(`${webhooksDelivered} messages received in ${hooks.requests} requests, ${hooks.invalid} with a signature that did not verify` +
  (stillOpen ? `; ${stillOpen} deliveries not delivered after 60 s` : "") + "; by type: " +
  [...hooks.types].sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(", "));

function BigInteger(s) { return BigInt(s); }
console.log(JSON.stringify({
  program: program.id,
  members: members.length,
  events,
  mint_transactions: mintTxs,
  ledger_total_points: ledgerTotal.toString(),
  onchain_total_supply: report.chainTotalSupply,
  reconciled: report.reconciled && ledgerTotal.toString() === report.chainTotalSupply,
  drop_minted: minted.minted,
  redeemed: redemption.couponCode !== null,
  withdrawn_points: publicBalance.balance,
  partner_verified: partnerVerified,
  tier_upgrades: tierUpgrades,
  coupon_used: couponUsed,
  adjusted_points: adjustedPoints,
  expired_points: Number(expiry.expired),
  referrals_rewarded: referralsRewarded,
  challenges_completed: challengesCompleted,
  offers_shown: offersShown,
  webhooks_delivered: webhooksDelivered,
  webhook_signatures_valid: webhookSignaturesValid,
}));
