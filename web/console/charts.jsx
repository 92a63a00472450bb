// KPI charts as inline SVG: no chart library, no CDN. Each chart is a figure whose visible caption names it; the SVG
// points at that caption (aria-labelledby), and a small table under it carries the numbers for screen readers.
let nextId = 0;

export function BarChart({ title, points, format = (v) => v.toLocaleString() }) {
  const id = `chart-${++nextId}`;
  const w = 320, h = 120, pad = 18;
  const max = Math.max(1, ...points.map((p) => p.value));
  const bw = points.length ? (w - pad) / points.length : 0;
  return (
    <figure class="card chart">
      <figcaption id={id}>{title}</figcaption>
      <svg role="img" aria-labelledby={id} viewBox={`0 0 ${w} ${h + pad}`} width="100%" preserveAspectRatio="none">
        <line x1="0" y1={h} x2={w} y2={h} class="axis" />
        {points.map((p, i) => {
          const bh = (p.value / max) * (h - 4);
          return <rect key={p.label} x={pad / 2 + i * bw + 1} y={h - bh} width={Math.max(1, bw - 2)} height={bh} class="bar" />;
        })}
        {points.length > 0 && <text x="2" y={h + 14} class="tick">{points[0].label}</text>}
        {points.length > 1 && <text x={w - 2} y={h + 14} text-anchor="end" class="tick">{points[points.length - 1].label}</text>}
      </svg>
      <table class="visually-hidden">
        <caption>{title}</caption>
        <tbody>{points.map((p) => <tr key={p.label}><th scope="row">{p.label}</th><td>{format(p.value)}</td></tr>)}</tbody>
      </table>
    </figure>
  );
}

/** Horizontal bars with their labels and values as visible text (tier distribution). */
export function HBarChart({ title, points }) {
  const id = `chart-${++nextId}`;
  const max = Math.max(1, ...points.map((p) => p.value));
  const row = 22, w = 320;
  return (
    <figure class="card chart">
      <figcaption id={id}>{title}</figcaption>
      <svg role="img" aria-labelledby={id} viewBox={`0 0 ${w} ${Math.max(row, points.length * row)}`} width="100%">
        {points.map((p, i) => (
          <g key={p.label}>
            <rect x="110" y={i * row + 4} width={Math.max(1, (p.value / max) * (w - 170))} height={row - 8} class="bar" />
            <text x="0" y={i * row + 16} class="tick">{p.label}</text>
            <text x={w} y={i * row + 16} text-anchor="end" class="tick">{p.value.toLocaleString()}</text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

export function Kpi({ label, value }) {
  return (
    <div class="kpi card">
      <div class="muted">{label}</div>
      <div class="kpi-value">{value}</div>
    </div>
  );
}
