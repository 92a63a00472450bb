// Segments (with their live member count) and challenges.
import { call, P, useLoad, Status, when } from "../lib.jsx";

function SegmentCount({ id }) {
  const count = useLoad(() => call("GET", P(`/segments/${id}/count`)), [id]);
  return <>{count.data ? count.data.members.toLocaleString() : count.error ? "—" : "…"}</>;
}

export function Segments() {
  const segments = useLoad(() => call("GET", P("/segments")));
  return (
    <>
      <Status state={segments} what="Segments" />
      {segments.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Segment</th><th>Definition</th><th>Members</th><th>Export</th></tr></thead>
            <tbody>
              {segments.data.map((s) => (
                <tr key={s.id}><td>{s.name}</td><td><code>{JSON.stringify(s.definition)}</code></td><td><SegmentCount id={s.id} /></td>
                  <td class="muted">GET {P(`/segments/${s.id}/export.csv`)}</td></tr>
              ))}
            </tbody>
          </table>
          {segments.data.length === 0 && <p class="muted">No segment yet.</p>}
        </div>
      )}
    </>
  );
}

export function Challenges() {
  const challenges = useLoad(() => call("GET", P("/challenges")));
  return (
    <>
      <Status state={challenges} what="Challenges" />
      {challenges.data && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th>Challenge</th><th>Steps</th><th>Window</th><th>Status</th></tr></thead>
            <tbody>
              {(challenges.data.items || challenges.data).map((c) => (
                <tr key={c.id}><td>{c.name}</td><td>{(c.steps || []).length}</td><td>{when(c.startsAt)} – {when(c.endsAt)}</td><td>{c.status || (c.active ? "active" : "inactive")}</td></tr>
              ))}
            </tbody>
          </table>
          {(challenges.data.items || challenges.data).length === 0 && <p class="muted">No challenge yet.</p>}
        </div>
      )}
    </>
  );
}
