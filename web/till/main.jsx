// The till: a shop key opens it (memory and this tab's sessionStorage only). Check a coupon code, typed or scanned
// where the browser has BarcodeDetector: valid, used or void with its reward, then use it once. Record a purchase
// for a member found by id (or by scanning the member's QR code).
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../shared/api.js";
import "./till.css";

const STORAGE = "lc.till.key";
let key = "";
let programId = null;
const call = (method, path, options = {}) => api(method, path, { ...options, credential: { kind: "apiKey", key } });
const P = (path) => `/v1/programs/${programId}${path}`;

function ErrorText({ error }) {
  if (!error) return null;
  return <p class="error" role="alert">{error.code ? `${error.code}: ` : ""}{error.message}</p>;
}

/** Camera scan with the browser's BarcodeDetector; not shown where the browser has none. */
function Scan({ onCode, what }) {
  const [on, setOn] = useState(false);
  const video = useRef(null);
  useEffect(() => {
    if (!on) return;
    let stream, stop = false;
    (async () => {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.current.srcObject = stream;
      await video.current.play();
      const detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128", "ean_13"] });
      while (!stop) {
        const found = await detector.detect(video.current).catch(() => []);
        if (found.length) { onCode(found[0].rawValue); setOn(false); break; }
        await new Promise((r) => setTimeout(r, 250));
      }
    })().catch(() => setOn(false));
    return () => { stop = true; stream?.getTracks().forEach((t) => t.stop()); };
  }, [on]);
  if (!("BarcodeDetector" in window)) return null;
  return (
    <>
      <button type="button" class="secondary" onClick={() => setOn(!on)}>{on ? "Stop scanning" : `Scan ${what}`}</button>
      {on && <video ref={video} class="scan" muted playsInline />}
    </>
  );
}

function couponState(check) {
  if (check.valid) return ["valid", "Valid"];
  if (check.reason === "USED") return ["used", "Already used"];
  if (check.reason === "VOID") return ["void", "Void"];
  if (check.reason === "EXPIRED") return ["void", "Expired"];
  return ["void", "Unknown code"];
}

function Coupon() {
  const [code, setCode] = useState("");
  const [check, setCheck] = useState(null);
  const [used, setUsed] = useState(null);
  const [error, setError] = useState(null);
  const validate = async (value) => {
    setError(null);
    setUsed(null);
    try {
      setCheck(await call("POST", P(`/coupons/${encodeURIComponent(value.trim())}/validate`)));
    } catch (err) {
      setCheck(null);
      setError(err);
    }
  };
  const use = async () => {
    setError(null);
    try {
      const result = await call("POST", P(`/coupons/${encodeURIComponent(check.code)}/use`), { body: {} });
      setUsed(result);
      setCheck({ ...check, ...(result.code ? result : {}), valid: false, reason: "USED" });
    } catch (err) {
      setError(err);
      await validate(check.code);
    }
  };
  const [kind, label] = check ? couponState(check) : [];
  return (
    <section class="card" aria-labelledby="coupon-h">
      <h2 id="coupon-h">Coupon</h2>
      <form class="row" onSubmit={(e) => { e.preventDefault(); validate(code); }}>
        <label class="grow">Coupon code<input value={code} onInput={(e) => setCode(e.currentTarget.value)} autocomplete="off" autocapitalize="characters" required /></label>
        <button type="submit">Check</button>
        <Scan what="a coupon" onCode={(c) => { setCode(c); validate(c); }} />
      </form>
      {check && (
        <div class={`verdict ${kind}`} role="status" aria-live="polite">
          <p class="verdict-label">{label}</p>
          <p><code>{check.code}</code>{check.reward ? ` · ${check.reward.name}` : ""}{check.member ? ` · member ${check.member.memberId}` : ""}</p>
          {check.usedAt && <p class="muted">Used {new Date(check.usedAt).toLocaleString()}</p>}
          {check.valid && <button type="button" onClick={use}>Use this coupon</button>}
        </div>
      )}
      {used && <p class="ok" role="status">Coupon used.</p>}
      <ErrorText error={error} />
    </section>
  );
}

function Purchase() {
  const [member, setMember] = useState(null);
  const [memberId, setMemberId] = useState("");
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const find = async (id) => {
    setError(null);
    setResult(null);
    try { setMember(await call("GET", P(`/members/${encodeURIComponent(id.trim())}`))); } catch (err) { setMember(null); setError(err); }
  };
  const record = async (e) => {
    e.preventDefault();
    const amount = String(new FormData(e.currentTarget).get("amount"));
    setError(null);
    try {
      const recorded = await call("POST", P("/events"), { body: { type: "purchase", memberId: member.memberId, eventId: `till-${crypto.randomUUID()}`, amount } });
      await find(member.memberId);
      setResult(recorded);
    } catch (err) { setError(err); }
  };
  return (
    <section class="card" aria-labelledby="purchase-h">
      <h2 id="purchase-h">Purchase</h2>
      <form class="row" onSubmit={(e) => { e.preventDefault(); find(memberId); }}>
        <label class="grow">Member id<input value={memberId} onInput={(e) => setMemberId(e.currentTarget.value)} autocomplete="off" required /></label>
        <button type="submit">Find member</button>
        <Scan what="a member" onCode={(c) => { setMemberId(c); find(c); }} />
      </form>
      {member && (
        <>
          <p>Member <strong>{member.memberId}</strong>{member.tier ? ` · tier ${member.tier}` : ""} · {Number(member.balance.available).toLocaleString()} points available</p>
          <form class="row" onSubmit={record}>
            <label class="grow">Amount<input name="amount" inputMode="decimal" required pattern="[0-9]+([.][0-9]{1,2})?" /></label>
            <button type="submit">Record purchase</button>
          </form>
        </>
      )}
      {result && <p class="ok" role="status">Recorded: {result.points} points ({result.status}).</p>}
      <ErrorText error={error} />
    </section>
  );
}

function App() {
  const [me, setMe] = useState(null);
  const [error, setError] = useState(null);
  const signIn = async (k) => {
    const who = await api("GET", "/v1/me", { credential: { kind: "apiKey", key: k } });
    if (who.role !== "shop" && who.role !== "admin") throw new Error(`A ${who.role} key cannot open the till.`);
    if (!who.programId) throw new Error("Use a program's shop key.");
    key = k;
    programId = who.programId;
    sessionStorage.setItem(STORAGE, k);
    setMe(who);
  };
  useEffect(() => {
    const saved = sessionStorage.getItem(STORAGE);
    if (saved) signIn(saved).catch(() => sessionStorage.removeItem(STORAGE));
  }, []);
  if (!me) {
    return (
      <main>
        <h1>Till</h1>
        <form class="card" onSubmit={(e) => { e.preventDefault(); setError(null); signIn(String(new FormData(e.currentTarget).get("key")).trim()).catch(setError); }}>
          <label>Shop key<input name="key" type="password" autocomplete="off" required /></label>
          <button type="submit">Open the till</button>
          <ErrorText error={error} />
        </form>
      </main>
    );
  }
  return (
    <main>
      <h1>Till</h1>
      <p class="muted">{me.programName} · {me.role} key · <button type="button" class="secondary" onClick={() => { sessionStorage.removeItem(STORAGE); key = ""; setMe(null); }}>Close the till</button></p>
      <Coupon />
      <Purchase />
    </main>
  );
}

render(<App />, document.getElementById("app"));
