// The brand console: sign in with an admin key, then the program's views. The key lives in memory and in this tab's
// sessionStorage (never localStorage) and goes out as X-Api-Key; GET /v1/me says its role and program. The page only
// reflects what the role may do: the API checks every call itself.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "../shared/api.js";
import { session, ErrorText } from "./lib.jsx";
import "./console.css";
import { Overview } from "./views/overview.jsx";
import { Members } from "./views/members.jsx";
import { Rules } from "./views/rules.jsx";
import { Rewards } from "./views/rewards.jsx";
import { Drops } from "./views/drops.jsx";
import { Segments, Challenges } from "./views/audience.jsx";
import { Webhooks } from "./views/webhooks.jsx";
import { ApiKeys, Pipeline, Reconciliation } from "./views/operations.jsx";

const STORAGE = "lc.console.key";
export const VIEWS = [
  ["overview", "Overview", Overview],
  ["members", "Members", Members],
  ["rules", "Rules", Rules],
  ["rewards", "Rewards", Rewards],
  ["drops", "Drops", Drops],
  ["segments", "Segments", Segments],
  ["challenges", "Challenges", Challenges],
  ["webhooks", "Webhooks", Webhooks],
  ["keys", "API keys", ApiKeys],
  ["pipeline", "Pipeline", Pipeline],
  ["reconciliation", "Reconciliation", Reconciliation],
];

const currentView = () => (location.hash.replace(/^#\/?/, "").split("/")[0] || "overview");

function SignIn({ onSignedIn }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await onSignedIn(String(form.get("key")).trim(), String(form.get("program") || "").trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main>
      <h1>Brand console</h1>
      <form class="card" onSubmit={submit}>
        <h2>Sign in</h2>
        <p class="muted">Use a program admin key. It stays in this browser tab only.</p>
        <label>
          Admin key
          <input name="key" type="password" autocomplete="off" required />
        </label>
        <label>
          Program id (deployment-wide key only)
          <input name="program" inputMode="numeric" />
        </label>
        <button type="submit" disabled={busy}>Sign in</button>
        <ErrorText error={error} />
      </form>
    </main>
  );
}

function Denied({ me, onSignOut }) {
  return (
    <main>
      <h1>Brand console</h1>
      <div class="card" role="alert">
        <h2>No access</h2>
        <p>This key's role ({me.role}) cannot use the brand console. Shop keys open the <a href="/till/">till</a>.</p>
        <button type="button" class="secondary" onClick={onSignOut}>Sign out</button>
      </div>
    </main>
  );
}

function App() {
  const [me, setMe] = useState(null);
  const [view, setView] = useState(currentView());
  const [restoring, setRestoring] = useState(!!sessionStorage.getItem(STORAGE));

  useEffect(() => {
    const onHash = () => setView(currentView());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const signIn = async (key, program) => {
    const who = await api("GET", "/v1/me", { credential: { kind: "apiKey", key } });
    const programId = who.programId ?? (program ? Number(program) : null);
    if (who.root && !programId) throw new Error("The deployment admin key needs a program id.");
    session.key = key;
    session.me = who;
    session.programId = programId;
    sessionStorage.setItem(STORAGE, JSON.stringify({ key, program }));
    setMe(who);
  };
  const signOut = () => {
    session.key = "";
    session.me = null;
    sessionStorage.removeItem(STORAGE);
    setMe(null);
  };

  useEffect(() => {
    const saved = sessionStorage.getItem(STORAGE);
    if (!saved) return;
    const { key, program } = JSON.parse(saved);
    signIn(key, program).catch(() => sessionStorage.removeItem(STORAGE)).finally(() => setRestoring(false));
  }, []);

  if (restoring) return <main><h1>Brand console</h1><p role="status">Signing in…</p></main>;
  if (!me) return <SignIn onSignedIn={signIn} />;
  if (me.role !== "admin") return <Denied me={me} onSignOut={signOut} />;
  const entry = VIEWS.find(([id]) => id === view) || VIEWS[0];
  const View = entry[2];
  return (
    <>
      <header class="bar">
        <p><strong>{me.programName || `Program ${session.programId}`}</strong> <span class="muted">· {me.root ? "deployment admin" : "admin"}</span></p>
        <button type="button" class="secondary" onClick={signOut}>Sign out</button>
      </header>
      <nav aria-label="Console">
        {VIEWS.map(([id, label]) => (
          <a key={id} href={`#/${id}`} aria-current={id === entry[0] ? "page" : undefined}>{label}</a>
        ))}
      </nav>
      <main>
        <h1>{entry[1]}</h1>
        <View key={entry[0]} />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app"));
