import { render } from "preact";
import { useEffect, useState, useCallback } from "preact/hooks";
import QRCode from "qrcode";
import { api } from "../shared/api.js";
import { LANGUAGES, pickLanguage, translator } from "./i18n.js";
import { provider, requestAccount, personalSign, signTypedData, balanceOf } from "./chain.js";
import "./portal.css";

const VIEWS = ["home", "rewards", "collection", "wallet"];
const currentView = () => {
  const part = location.pathname.replace(/^\/portal\/?/, "").split("/")[0];
  return VIEWS.includes(part) ? part : "home";
};
const big = (v) => { try { return BigInt(v ?? "0"); } catch { return 0n; } };
// Metadata and images are served by this host under /v1/public; the configured public base URL may name another
// origin (a proxy), which the CSP would block: read them by path from here.
const local = (url) => { try { const u = new URL(url, location.href); return u.pathname.startsWith("/v1/public/") ? u.pathname : url; } catch { return url; } };

function useLoad(load, deps) {
  const [state, setState] = useState({ loading: true });
  const reload = useCallback(() => {
    load().then((data) => setState({ data }), (error) => setState({ error }));
  }, deps);
  useEffect(reload, [reload]);
  return [state, reload];
}

function Problem({ t, error }) {
  return error ? <p class="error" role="alert">{t("error", { message: error.message })}</p> : null;
}

function SignIn({ t, programId, onSession, notice }) {
  const [error, setError] = useState(null);
  const eth = provider();
  const siwe = async () => {
    setError(null);
    try {
      const address = await requestAccount(eth);
      const challenge = await api("POST", "/v1/member-sessions/siwe/challenge", { body: { programId, address } });
      const signature = await personalSign(eth, address, challenge.message);
      onSession(await api("POST", "/v1/member-sessions/siwe", { body: { programId, message: challenge.message, signature } }));
    } catch (e) { setError(e); }
  };
  return (
    <section class="card" aria-labelledby="signin-title">
      <h2 id="signin-title">{t("signIn")}</h2>
      {notice && <p role="status">{notice}</p>}
      <p>{t("signInHelp")}</p>
      {eth && programId && <button type="button" onClick={siwe}>{t("siwe")}</button>}
      <Problem t={t} error={error} />
    </section>
  );
}

// A lot whose instant has passed is still pending until the maturation pass releases it (it cannot be redeemed yet):
// say it is becoming available rather than show a date in the past.
const pendingLot = (t, l) => new Date(l.availableAt) <= new Date()
  ? t("pendingBecoming", { amount: t.n(l.amount) })
  : t("pendingAvailableOn", { amount: t.n(l.amount), date: t.date(l.availableAt) });

/** A blocked member redeems nothing (the API answers MEMBER_BLOCKED): say why instead of a catalog of disabled buttons. */
function Blocked({ t, blocked }) {
  return <p class="error" role="alert" data-testid="blocked">{t("blocked", { reason: blocked.reason || t("blockedNoReason") })}</p>;
}

function Home({ t, ctx }) {
  const [member] = useLoad(() => api("GET", ctx.base), [ctx.base, ctx.version]);
  const [history] = useLoad(() => api("GET", ctx.base + "/history?limit=10"), [ctx.base, ctx.version]);
  const m = member.data;
  useEffect(() => { if (m) performance.mark("lc-balance-rendered"); }, [m]);
  if (member.error) return <Problem t={t} error={member.error} />;
  if (!m) return <p>{t("loading")}</p>;
  const tier = m.tierStatus;
  return (
    <>
      {m.blocked && <Blocked t={t} blocked={m.blocked} />}
      <section class="card" aria-labelledby="balance-title">
        <h2 id="balance-title">{t("balance")}</h2>
        <p class="big" data-testid="available"><span class="muted">{t("available")}</span> {t("points", { n: t.n(m.balance.available) })}</p>
        <dl class="facts">
          <dt>{t("pending")}</dt><dd data-testid="pending">{t.n(m.balance.pending)}
            {(m.pendingLots || []).map((l) => <div class="muted small" data-testid="pending-lot">{pendingLot(t, l)}</div>)}</dd>
          <dt>{t("expiringSoon")}</dt><dd>{m.expiringSoon?.length
            ? m.expiringSoon.map((e) => <div>{t("expiresOn", { amount: t.n(e.amount), date: t.date(e.at) })}</div>)
            : <span class="muted">{t("nothingExpiring")}</span>}</dd>
          <dt>{t("onChain")}</dt><dd data-testid="on-chain">{t.n(m.balance.onChain)}</dd>
          <dt>{t("reserved")}</dt><dd>{t.n(m.balance.reserved)}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="tier-title">
        <h2 id="tier-title">{t("tier")}: {tier?.current || m.tier || t("noTier")}</h2>
        {tier?.next && tier.nextThreshold ? (
          <>
            <progress id="tier-progress" max={Number(tier.nextThreshold)} value={Math.min(Number(tier.value || 0), Number(tier.nextThreshold))}
              aria-labelledby="tier-next">{tier.value}</progress>
            <p id="tier-next">{t("nextTier", { remaining: t.n(tier.remaining), next: tier.next })}</p>
          </>
        ) : <p>{tier?.current ? t("topTier") : ""}</p>}
      </section>
      <section class="card" aria-labelledby="history-title">
        <h2 id="history-title">{t("history")}</h2>
        {history.data?.items?.length ? (
          <ul class="list">
            {history.data.items.map((i) => (
              <li>
                <span>{t.dateTime(i.at)}</span> <strong>{big(i.amount) > 0n ? "+" : ""}{t.n(i.amount)}</strong>{" "}
                <span class="muted">{i.eventType || i.kind}</span>
                {i.txHash && <div class="small"><TxLink t={t} ctx={ctx} hash={i.txHash} /></div>}
              </li>
            ))}
          </ul>
        ) : <p class="muted">{t("noHistory")}</p>}
      </section>
    </>
  );
}

function TxLink({ t, ctx, hash }) {
  const label = t("viewTx", { hash: hash.slice(0, 10) + "…" });
  const template = ctx.config?.explorerTxUrl;
  return template ? <a href={template.replace("{hash}", hash)} rel="noopener noreferrer" target="_blank">{label}</a>
    : <a href={"#tx-" + hash} title={hash}>{label}</a>;
}

function Redemption({ t, ctx, redemption, name, onClose }) {
  const [r, setR] = useState(redemption);
  const [qr, setQr] = useState(null);
  const [error, setError] = useState(null);
  const [signed, setSigned] = useState(false);
  useEffect(() => {
    if (r.couponCode) { QRCode.toDataURL(r.couponCode, { margin: 1, width: 192 }).then(setQr, setError); return; }
    if (r.selfCustody && r.typedDataToSign && r.status === "AwaitingSignature") return;
    if (["Failed", "Cancelled", "Voided"].includes(r.status)) return;
    const timer = setTimeout(() => api("GET", `/v1/programs/${ctx.session.programId}/redemptions/${r.id}`).then(setR, setError), 700);
    return () => clearTimeout(timer);
  }, [r]);
  const sign = async () => {
    try {
      const eth = provider();
      const address = await requestAccount(eth);
      const signature = await signTypedData(eth, address, r.typedDataToSign);
      setR(await api("POST", `/v1/programs/${ctx.session.programId}/redemptions/${r.id}/signature`, { body: { signature }, credential: ctx.cred }));
      setSigned(true);
    } catch (e) { setError(e); }
  };
  return (
    <section class="card highlight" aria-labelledby="redemption-title" data-testid="redemption">
      <h2 id="redemption-title">{t("redeemed", { name })}</h2>
      {r.selfCustody && (r.status === "AwaitingSignature" || signed) && (
        <div>
          <h3>{t("burnTitle")}</h3>
          {r.status === "AwaitingSignature" && r.typedDataToSign
            ? <button type="button" onClick={sign}>{t("signBurn")}</button> : <p role="status">{t("burnSigned")}</p>}
        </div>
      )}
      {r.couponCode ? (
        <>
          <p>{t("yourCode")}: <code class="coupon" data-testid="coupon-code">{r.couponCode}</code></p>
          {qr && <img class="qr" src={qr} alt={t("codeQr")} width="192" height="192" data-testid="coupon-qr" />}
        </>
      ) : r.status !== "AwaitingSignature" && <p role="status">{t("loading")}</p>}
      <p class="muted small">{r.status}</p>
      <Problem t={t} error={error} />
      <button type="button" class="secondary" onClick={onClose}>{t("close")}</button>
    </section>
  );
}

function Rewards({ t, ctx }) {
  const p = `/v1/programs/${ctx.session.programId}`;
  const [member] = useLoad(() => api("GET", ctx.base), [ctx.base, ctx.version]);
  const [catalog] = useLoad(() => api("GET", ctx.base + "/catalog"), [ctx.base, ctx.version]);
  const blocked = member.data?.blocked;
  const [recs] = useLoad(() => api("GET", ctx.base + "/recommendations?limit=3"), [ctx.base, ctx.version]);
  const [offers] = useLoad(() => api("GET", ctx.base + "/offers"), [ctx.base, ctx.version]);
  const [challenges] = useLoad(() => api("GET", ctx.base + "/challenges"), [ctx.base]);
  const [referrals] = useLoad(() => api("GET", ctx.base + "/referrals"), [ctx.base]);
  const [causes] = useLoad(() => api("GET", p + "/causes"), [p]);
  const [open, setOpen] = useState(null);
  const [error, setError] = useState(null);
  const available = big(catalog.data?.available);
  const top = new Set((recs.data?.recommended || []).map((r) => r.rewardId));
  const redeem = async (reward) => {
    setError(null);
    try {
      const redemption = await api("POST", ctx.base + "/redemptions", { body: { rewardId: reward.rewardId }, credential: ctx.cred });
      setOpen({ redemption, name: reward.name });
    } catch (e) { setError(e); }
  };
  return (
    <>
      {open && <Redemption t={t} ctx={ctx} redemption={open.redemption} name={open.name} onClose={() => { setOpen(null); ctx.refresh(); }} />}
      <Problem t={t} error={error} />
      <section class="card" aria-labelledby="catalog-title">
        <h2 id="catalog-title">{t("catalog")}</h2>
        <Problem t={t} error={catalog.error} />
        {blocked && <Blocked t={t} blocked={blocked} />}
        {!blocked && member.data && catalog.data && !catalog.data.items.length && <p class="muted">{t("noRewards")}</p>}
        <ul class="grid">
          {(!blocked && member.data ? catalog.data?.items || [] : []).map((r) => (
            <li class="tile" data-testid="catalog-item">
              <strong>{r.name}</strong>
              {r.description && <div class="muted small">{r.description}</div>}
              <div>{t("points", { n: t.n(r.cost) })} {r.offerId != null && <s class="muted">{t.n(r.regularCost)}</s>}</div>
              {top.has(r.rewardId) && <div class="badge">{t("recommended")}</div>}
              <div class={r.affordable ? "ok small" : "muted small"} data-testid="afford">
                {r.affordable ? t("canAfford") : t("cannotAfford", { n: t.n((big(r.cost) - available).toString()) })}</div>
              {r.stockLeft != null && <div class="muted small">{r.stockLeft > 0 ? t("stockLeft", { n: t.n(r.stockLeft) }) : t("soldOut")}</div>}
              {r.limitReached && <div class="muted small">{t("limitReached")}</div>}
              <button type="button" disabled={!r.redeemable} onClick={() => redeem(r)}>{t("redeem", { name: r.name })}</button>
            </li>
          ))}
        </ul>
      </section>
      <section class="card" aria-labelledby="offers-title">
        <h2 id="offers-title">{t("offers")}</h2>
        {offers.data?.offers?.length ? <ul class="list">{offers.data.offers.map((o) => (
          <li><strong>{o.name}</strong> <span class="muted small">{t("until", { date: t.date(o.endsAt) })}</span>
            {o.description && <div>{o.description}</div>}
            {o.reward && <div>{t("points", { n: t.n(o.reward.cost) })} <s class="muted">{t.n(o.reward.regularCost)}</s></div>}</li>
        ))}</ul> : <p class="muted">{t("noOffers")}</p>}
      </section>
      <section class="card" aria-labelledby="challenges-title">
        <h2 id="challenges-title">{t("challenges")}</h2>
        {challenges.data?.length ? <ul class="list">{challenges.data.map((c) => (
          <li><strong>{c.name}</strong> {c.completed && <span class="ok">{t("completed")}</span>}
            <ul>{c.steps.map((s) => (
              <li><label class="step">{t("step", { name: s.name, done: t.n(s.done), required: t.n(s.required) })}
                <progress max={s.required} value={Math.min(s.done, s.required)}>{s.done}</progress></label></li>
            ))}</ul></li>
        ))}</ul> : <p class="muted">{t("noChallenges")}</p>}
      </section>
      <section class="card" aria-labelledby="referral-title">
        <h2 id="referral-title">{t("referral")}</h2>
        {referrals.data && <>
          <p>{t("referralCode")}: <code class="coupon" data-testid="referral-code">{referrals.data.code}</code></p>
          <p class="muted">{t("referred", { n: t.n(referrals.data.referrals?.length ?? 0) })}</p>
        </>}
      </section>
      <section class="card" aria-labelledby="donations-title">
        <h2 id="donations-title">{t("donations")}</h2>
        {causes.data?.length ? <ul class="list">{causes.data.map((c) => (
          <li><strong>{c.name}</strong>{c.description && <div class="muted">{c.description}</div>}</li>
        ))}</ul> : <p class="muted">{t("noCauses")}</p>}
      </section>
    </>
  );
}

function Collectible({ t, token }) {
  const [meta, setMeta] = useState(null);
  useEffect(() => { fetch(local(token.metadataUrl)).then((r) => (r.ok ? r.json() : null)).then(setMeta, () => setMeta(null)); }, [token.metadataUrl]);
  return (
    <li class="tile" data-testid="collectible">
      {meta?.image && <img src={local(meta.image)} alt={meta.name || token.dropName} class="art" loading="lazy" />}
      <strong>{meta?.name || token.dropName}</strong>
      <div class="muted small">{t("serial", { n: t.n(token.serial) })}{token.soulbound ? " · " + t("soulbound") : ""}</div>
      {meta?.attributes?.length > 0 && <dl class="facts small">{meta.attributes.map((a) => <><dt>{a.trait_type}</dt><dd>{String(a.value)}</dd></>)}</dl>}
    </li>
  );
}

function Collection({ t, ctx }) {
  const [collection] = useLoad(() => api("GET", ctx.base + "/collectibles"), [ctx.base, ctx.version]);
  const c = collection.data;
  return (
    <section class="card" aria-labelledby="collection-title">
      <h2 id="collection-title">{t("collectibles")}</h2>
      <Problem t={t} error={collection.error} />
      {c?.tokens?.length ? <ul class="grid">{c.tokens.map((token) => <Collectible t={t} token={token} />)}</ul>
        : c && <p class="muted">{t("noCollectibles")}</p>}
      {c?.pending?.map((p) => <p class="muted">{t("mintingNow", { name: p.dropName })}</p>)}
    </section>
  );
}

function Wallet({ t, ctx }) {
  const p = `/v1/programs/${ctx.session.programId}`;
  const [member, reload] = useLoad(() => api("GET", ctx.base), [ctx.base, ctx.version]);
  const [notice, setNotice] = useState(null);
  const [error, setError] = useState(null);
  const eth = provider();
  const m = member.data;
  const run = (work) => async () => { setError(null); setNotice(null); try { await work(); } catch (e) { setError(e); } };
  const link = run(async () => {
    const address = await requestAccount(eth);
    const challenge = await api("POST", ctx.base + "/wallet/challenge", { body: { address }, credential: ctx.cred });
    const signature = await personalSign(eth, address, challenge.message);
    await api("POST", ctx.base + "/wallet/link", { body: { message: challenge.message, signature }, credential: ctx.cred });
    setNotice(t("linked"));
    reload();
  });
  const withdraw = run(async () => {
    const w = await api("POST", ctx.base + "/withdrawals", { credential: ctx.cred });
    setNotice(w.status === "Scheduled" || new Date(w.scheduledFor) > new Date()
      ? t("withdrawScheduled", { date: t.dateTime(w.scheduledFor) }) : t("withdrawStaged", { n: t.n(w.transfers.length) }));
  });
  const verify = run(async () => {
    const claimed = await api("GET", `/v1/public/programs/${ctx.session.programId}/balances/${m.walletAddress}`);
    const amount = await balanceOf(ctx.config.nodeRpcUrl, claimed.contract, m.walletAddress);
    setNotice(t("verified", { amount: t.n(amount), address: m.walletAddress }));
  });
  if (!m) return <Problem t={t} error={member.error} />;
  const self = m.walletKind === "SelfCustody";
  return (
    <section class="card" aria-labelledby="wallet-title">
      <h2 id="wallet-title">{t("wallet")}</h2>
      <dl class="facts">
        <dt>{t("walletKind")}</dt><dd data-testid="wallet-kind">{self ? t("selfCustody") : t("custodial")}</dd>
        <dt>{t("address")}</dt><dd><code class="address" data-testid="wallet-address">{m.walletAddress}</code></dd>
        <dt>{t("onChain")}</dt><dd>{t.n(m.balance.onChain)}</dd>
      </dl>
      <div class="actions">
        {eth ? <button type="button" onClick={link}>{t("linkWallet")}</button> : <p class="muted">{t("noProvider")}</p>}
        {self && <button type="button" onClick={withdraw}>{t("withdraw")}</button>}
        {ctx.config?.nodeRpcUrl && <button type="button" class="secondary" onClick={verify}>{t("verify")}</button>}
      </div>
      {notice && <p role="status" data-testid="wallet-notice">{notice}</p>}
      <Problem t={t} error={error} />
    </section>
  );
}

/** The sunset notice on every page: the end date and the way out (My wallet), from the program's public view. */
function SunsetBanner({ t, programId, go }) {
  const [{ data: program }] = useLoad(() => api("GET", `/v1/public/programs/${programId}`), [programId]);
  const status = program?.status;
  if (status !== "Sunsetting" && status !== "Sunset") return null;
  return (
    <p class="card highlight" role="status" data-testid="sunset-banner">
      {status === "Sunsetting" ? t("sunsetting", { date: t.date(program.sunset?.endsAt) }) : t("sunsetEnded")}{" "}
      <a href="/portal/wallet" onClick={go("wallet")}>{t("wallet")}</a>
    </p>
  );
}

function App() {
  const [lang, setLang] = useState(pickLanguage());
  const [session, setSession] = useState(undefined);
  const [notice, setNotice] = useState(null);
  const [view, setView] = useState(currentView());
  const [config, setConfig] = useState(null);
  const [version, setVersion] = useState(0);
  const [programId, setProgramId] = useState(Number(new URLSearchParams(location.search).get("program")) || null);
  const t = translator(lang);

  useEffect(() => { document.documentElement.lang = lang; document.title = t("title"); }, [lang]);
  useEffect(() => {
    addEventListener("popstate", () => setView(currentView()));
    api("GET", "/v1/public/portal-config").then(setConfig, () => setConfig({}));
    // The sign-in link carries the member token in the fragment (never sent to a server or a log). Swap it for a
    // session cookie and wipe it from the address bar and history at once; it is never stored.
    const fragment = new URLSearchParams(location.hash.slice(1));
    const token = fragment.get("token");
    if (token) {
      history.replaceState(null, "", location.pathname + location.search);
      api("POST", "/v1/member-sessions", { body: { token } }).then(setSession, () => { setSession(null); setNotice(t("linkExpired")); });
    } else if (document.cookie.split("; ").includes("lc_signed_in=1")) {
      // lc_signed_in holds no secret; it says a session cookie (HttpOnly, unreadable here) may exist.
      api("GET", "/v1/member-sessions/current").then(setSession, () => setSession(null));
    } else {
      setSession(null);
    }
  }, []);
  useEffect(() => { if (session?.programId) setProgramId(session.programId); }, [session]);

  const go = (next) => (e) => { e.preventDefault(); history.pushState(null, "", "/portal/" + next); setView(next); };
  const changeLang = (e) => { localStorage.setItem("lc.lang", e.currentTarget.value); setLang(e.currentTarget.value); };
  const cred = session ? { kind: "session", csrf: session.csrfToken } : null;
  const signOut = async () => {
    try { await api("DELETE", "/v1/member-sessions/current", { credential: cred }); } catch { /* already ended */ }
    setSession(null); setNotice(t("signedOut"));
  };
  const ctx = session && {
    session, cred, config, version, refresh: () => setVersion((v) => v + 1),
    base: `/v1/programs/${session.programId}/members/${encodeURIComponent(session.memberId)}`,
  };
  const View = { home: Home, rewards: Rewards, collection: Collection, wallet: Wallet }[view];
  return (
    <>
      <header class="top">
        <h1>{t("title")}</h1>
        <label class="lang">{t("language")}{" "}
          <select value={lang} onChange={changeLang}>{Object.entries(LANGUAGES).map(([code, name]) => <option value={code}>{name}</option>)}</select>
        </label>
        {session && <button type="button" class="secondary" onClick={signOut}>{t("signOut")}</button>}
      </header>
      {session && (
        <nav aria-label={t("title")}>
          {VIEWS.map((v) => <a href={"/portal/" + v} aria-current={v === view ? "page" : undefined} onClick={go(v)}>{t(v)}</a>)}
        </nav>
      )}
      <main>
        {session && <SunsetBanner t={t} programId={session.programId} go={go} />}
        {session === undefined ? <p>{t("loading")}</p>
          : session === null ? <SignIn t={t} programId={programId} onSession={(s) => { setNotice(null); setSession(s); }} notice={notice} />
          : <View t={t} ctx={ctx} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app"));
