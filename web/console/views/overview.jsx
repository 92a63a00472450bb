// KPIs from GET /analytics (the analytics contract). Without that endpoint (404) the view says so and shows the
// program's own figures from GET /settlement.
import { call, P, useLoad, Status, fmt } from "../lib.jsx";
import { BarChart, HBarChart, Kpi } from "../charts.jsx";

const isoDay = (d) => d.toISOString().slice(0, 10);
const big = (s) => Number(s || 0);
const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)} %`);
const eth = (wei) => `${(Number(BigInt(wei || "0") / 1000000000n) / 1e9).toFixed(6)} ETH`;

export function Overview() {
  const to = new Date();
  const from = new Date(to.getTime() - 29 * 86400000);
  const analytics = useLoad(() => call("GET", P(`/analytics?from=${isoDay(from)}&to=${isoDay(to)}&granularity=day`)));
  const settlement = useLoad(() => call("GET", P("/settlement")));
  const a = analytics.data;
  const series = a?.series || [];
  const points = (f) => series.map((s) => ({ label: s.period, value: Number(f(s)) || 0 }));
  return (
    <>
      <Status state={analytics} what="Analytics" />
      {a && (
        <>
          <section aria-labelledby="kpi-h">
            <h2 id="kpi-h">Last 30 days</h2>
            <div class="kpis">
              <Kpi label="Members" value={fmt(a.members.total)} />
              <Kpi label="Active (30 days)" value={fmt(a.members.active30d)} />
              <Kpi label="New members" value={fmt(a.members.new)} />
              <Kpi label="Redemption rate" value={pct(a.redemptionRate)} />
              <Kpi label="Liability (available)" value={fmt(big(a.liability.available))} />
              <Kpi label="Liability (pending)" value={fmt(big(a.liability.pending))} />
              <Kpi label="Gas spent" value={eth(a.gas?.totalWei)} />
            </div>
          </section>
          <section aria-labelledby="charts-h">
            <h2 id="charts-h">Charts</h2>
            <div class="charts">
              <BarChart title="New members per day" points={points((s) => s.newMembers)} />
              <BarChart title="Active members per day" points={points((s) => s.activeMembers)} />
              <BarChart title="Points issued per day" points={points((s) => big(s.pointsIssued))} />
              <BarChart title="Points redeemed per day" points={points((s) => big(s.pointsRedeemed))} />
              <BarChart title="Gas spent per day (gwei)" points={points((s) => Number(BigInt(s.gasWei || "0") / 1000000000n))} />
              <HBarChart title="Tier distribution" points={(a.tiers?.distribution || []).map((t) => ({ label: t.tier || "none", value: t.members }))} />
            </div>
          </section>
        </>
      )}
      <section aria-labelledby="ledger-h">
        <h2 id="ledger-h">Ledger and settlement</h2>
        <Status state={settlement} what="Settlement" />
        {settlement.data && (
          <div class="kpis">
            {Object.entries(settlement.data.ledger || {}).map(([k, v]) => <Kpi key={k} label={k} value={typeof v === "object" ? JSON.stringify(v) : String(v)} />)}
            <Kpi label="Queued mint intents" value={fmt(settlement.data.queuedIntents)} />
            <Kpi label="Confirmed intents" value={fmt(settlement.data.confirmedIntents)} />
          </div>
        )}
      </section>
    </>
  );
}
