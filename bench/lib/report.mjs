/**
 * Turns the per-round figures into medians and ratios to the baseline, and renders markdown.
 * A ratio is the median over rounds of (target / baseline) measured in the same round, which is
 * what interleaving buys: both figures saw the same machine state.
 */
import { BASELINE, targetsOf } from './targets.mjs';

const GEN_SATURATED_PCT = 90;

export const COLUMNS = {
  load: [
    { key: 'rate', head: 'msgs/s', fmt: (v) => compact(v) },
    { key: 'p50', head: 'p50 ms', fmt: (v) => sig(v) },
    { key: 'p99', head: 'p99 ms', fmt: (v) => sig(v) },
    { key: 'serverCpuPer1k', head: 'srv CPU ms/1k msgs', fmt: (v) => sig(v) },
    { key: 'serverCpuPct', head: 'srv CPU', fmt: (v) => `${Math.round(v)}%`, ratio: false },
  ],
  idle: [
    { key: 'connectRate', head: 'conn/s', fmt: (v) => compact(v) },
    { key: 'heapPerConn', head: 'heap+ext/conn', fmt: (v) => kib(v) },
    { key: 'rssPerConn', head: 'rss/conn', fmt: (v) => kib(v) },
    { key: 'opened', head: 'open', fmt: (v) => String(Math.round(v)), ratio: false },
  ],
};

// Many connections on one node (c100k): the gen CPU column is the busiest generator process while
// connecting / during the broadcast, other CPU is the rest of the machine in the idle window.
COLUMNS.c100k = [
  { key: 'opened', head: 'held', fmt: (v) => String(Math.round(v)), ratio: false },
  { key: 'connectRate', head: 'conn/s', fmt: (v) => compact(v) },
  { key: 'rss', head: 'RSS at N', fmt: (v) => mib(v), ratio: false },
  { key: 'maxRss', head: 'peak RSS', fmt: (v) => mib(v), ratio: false },
  { key: 'rssPerConn', head: 'rss/conn', fmt: (v) => kib(v) },
  { key: 'heapPerConn', head: 'heap+ext/conn', fmt: (v) => kib(v) },
  { key: 'idleCpuPct', head: 'idle CPU', fmt: (v) => `${v.toFixed(1)}%` },
  { key: 'pingsPerSec', head: 'pings/s', fmt: (v) => compact(v), ratio: false },
  { key: 'bcastMs', head: 'bcast to all ms', fmt: (v) => sig(v) },
  { key: 'bcastP50Ms', head: 'bcast p50 ms', fmt: (v) => sig(v), ratio: false },
];

const EXTRA_KEYS = {
  idle: ['genCpuPct', 'failed'],
  c100k: [
    'genConnectMaxPct',
    'genConnectPct',
    'genBcastMaxPct',
    'genBcastPct',
    'genIdlePct',
    'otherIdlePct',
    'otherConnectPct',
    'otherBcastPct',
    'srvConnectCpuPct',
    'bcastMaxMs',
    'bcastP99Ms',
    'bcastSrvCpuMs',
    'windowPings',
    'drainSec',
  ],
};
const LOAD_EXTRA_KEYS = [
  'genCpuPct',
  'genCpuMaxPct',
  'otherCpuPct',
  'stealPct',
  'completeness',
  'stalls',
  'p90',
];

// Cross-node fan-out: the load columns (server CPU summed over the nodes) plus the redis-server.
COLUMNS.crossnode = [
  ...COLUMNS.load,
  { key: 'redisCpuPer1k', head: 'redis CPU ms/1k msgs', fmt: (v) => sig(v), ratio: false },
  { key: 'redisCpuPct', head: 'redis CPU', fmt: (v) => `${Math.round(v)}%`, ratio: false },
];

// Scale-out over Redis: per broadcast and per node (nothing here has a ratio: the rows differ in
// their node count, not in the server under test).
COLUMNS.scaleout = [
  { key: 'nodes', head: 'nodes', fmt: (v) => String(v), ratio: false },
  { key: 'bcastRate', head: 'bcast/s', fmt: (v) => compact(v), ratio: false },
  { key: 'perNodeRate', head: 'deliveries/s per node', fmt: (v) => compact(v), ratio: false },
  { key: 'nodeCpuMeanPct', head: 'CPU per node', fmt: (v) => `${Math.round(v)}%`, ratio: false },
  { key: 'nodeCpuPer1kBcast', head: 'node CPU ms/1k bcast', fmt: (v) => sig(v), ratio: false },
  { key: 'redisCpuPct', head: 'redis CPU', fmt: (v) => `${Math.round(v)}%`, ratio: false },
  { key: 'redisCpuPer1kBcast', head: 'redis CPU ms/1k bcast', fmt: (v) => sig(v), ratio: false },
  { key: 'p50', head: 'p50 ms', fmt: (v) => sig(v), ratio: false },
  { key: 'p99', head: 'p99 ms', fmt: (v) => sig(v), ratio: false },
  { key: 'redisChannels', head: 'redis channels', fmt: (v) => compact(v), ratio: false },
];
EXTRA_KEYS.scaleout = [
  ...LOAD_EXTRA_KEYS,
  'rate',
  'serverCpuPer1k',
  'clusterCpuPer1kBcast',
  'nodeCpuMaxPct',
  'perBroadcast',
  'redisMemory',
  'window',
];

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function sig(v) {
  if (!Number.isFinite(v)) return '—';
  if (v >= 100) return String(Math.round(v));
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

function compact(v) {
  if (!Number.isFinite(v)) return '—';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e4) return `${Math.round(v / 1e3)}k`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return String(Math.round(v));
}

function mib(v) {
  if (!Number.isFinite(v)) return '—';
  return v >= 2 ** 30 ? `${(v / 2 ** 30).toFixed(2)} GiB` : `${Math.round(v / 2 ** 20)} MiB`;
}

function kib(v) {
  return Number.isFinite(v) ? `${(v / 1024).toFixed(1)} KiB` : '—';
}

function ratioText(r) {
  return Number.isFinite(r) ? ` (${r.toFixed(2)}×)` : '';
}

/** Medians per scenario, case and target, with ratios to the baseline. */
export function summarize(runs, scenarios, opts) {
  const out = [];
  for (const scenario of scenarios) {
    const kind = scenario.kind ?? (scenario.name === 'idle' ? 'idle' : 'load');
    const baseline = scenario.baseline ?? BASELINE;
    const keys = [...COLUMNS[kind].map((c) => c.key), ...(EXTRA_KEYS[kind] ?? LOAD_EXTRA_KEYS)];
    const cases = scenario.cases(opts).map((c) => {
      const rows = (c.targets ?? targetsOf(scenario, opts)).map((target) => {
        const mine = runs.filter(
          (r) => r.scenario === scenario.name && r.case === c.id && r.target === target,
        );
        const ok = mine.filter((r) => r.figures);
        const med = {};
        const ratio = {};
        for (const key of keys) {
          med[key] = median(ok.map((r) => r.figures[key]));
          const perRound = ok.map((r) => {
            const base = runs.find(
              (b) =>
                b.scenario === r.scenario &&
                b.case === r.case &&
                b.round === r.round &&
                b.target === baseline &&
                b.figures,
            );
            return base ? r.figures[key] / base.figures[key] : NaN;
          });
          ratio[key] = median(perRound);
        }
        return {
          target,
          rounds: mine.length,
          ok: ok.length,
          errors: mine.filter((r) => r.error).map((r) => `round ${r.round}: ${r.error}`),
          median: med,
          ratio,
        };
      });
      return { id: c.id, label: c.label, rows };
    });
    const mine = runs.filter((r) => r.scenario === scenario.name);
    const notes = scenario.notes?.(mine, opts) ?? [];
    out.push({ scenario: scenario.name, title: scenario.title, kind, baseline, cases, notes });
  }
  return out;
}

/** One line for an error: its first line plus the first line of the cause found in the output. */
export function errorLine(text) {
  const lines = String(text)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const cause = lines.slice(1).find((l) => /\b\w*Error\b|Cannot find|not a function/.test(l));
  const line = cause ? `${lines[0]}: ${cause}` : (lines[0] ?? '');
  return line.slice(0, 240).replaceAll('|', '\\|');
}

/** The markdown report: one table per scenario, then a legend and any errors. */
export function renderMarkdown(summary, meta) {
  const lines = [];
  lines.push(`# ws-rooms benchmark — ${meta.date}`);
  lines.push('');
  lines.push(
    `Node ${meta.node}, ${meta.cpus} × ${meta.cpuModel}, ${meta.rounds} round(s) interleaved, ` +
      `warm-up ${meta.warmupMs} ms, window ${meta.durationMs} ms, elapsed ${meta.elapsedSec.toFixed(0)} s. ` +
      `Medians over rounds; (×) = median per-round ratio to \`${BASELINE}\`.`,
  );
  if (meta.rounds < meta.roundsRequested) {
    lines.push('', `⚠ Only ${meta.rounds} of ${meta.roundsRequested} rounds ran (time budget).`);
  }
  const errors = [];
  let saturated = false;
  for (const s of summary) {
    lines.push('', `## ${s.title}`, '');
    if (s.baseline !== BASELINE && s.kind !== 'scaleout') {
      lines.push(`(×) here = median per-round ratio to \`${s.baseline}\`.`, '');
    }
    const cols = COLUMNS[s.kind];
    const genHead = s.kind === 'c100k' ? 'gen CPU max conn / bcast' : 'gen CPU max / Σ';
    const head = ['case', 'target', ...cols.map((c) => c.head), genHead];
    if (s.kind !== 'idle') head.push(s.kind === 'c100k' ? 'other CPU idle' : 'other CPU');
    head.push('ok');
    lines.push(`| ${head.join(' | ')} |`);
    lines.push(`|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const c of s.cases) {
      for (const row of c.rows) {
        const cells = cols.map((col) => {
          const v = row.median[col.key];
          if (!Number.isFinite(v)) return '—';
          return col.fmt(v) + (col.ratio === false ? '' : ratioText(row.ratio[col.key]));
        });
        let gen = '—';
        if (s.kind === 'c100k') {
          const p = (v) => {
            if (!Number.isFinite(v)) return '—';
            const flag = v > GEN_SATURATED_PCT ? ' ⚠' : '';
            if (flag) saturated = true;
            return `${Math.round(v)}%${flag}`;
          };
          gen = `${p(row.median.genConnectMaxPct)} / ${p(row.median.genBcastMaxPct)}`;
        } else if (s.kind !== 'idle' && Number.isFinite(row.median.genCpuPct)) {
          const flag = row.median.genCpuMaxPct > GEN_SATURATED_PCT ? ' ⚠' : '';
          if (flag) saturated = true;
          gen = `${Math.round(row.median.genCpuMaxPct)}%${flag} / ${Math.round(row.median.genCpuPct)}%`;
        } else if (s.kind === 'idle' && Number.isFinite(row.median.genCpuPct)) {
          gen = `— / ${Math.round(row.median.genCpuPct)}%`;
        }
        cells.push(gen);
        if (s.kind !== 'idle') {
          const other = s.kind === 'c100k' ? row.median.otherIdlePct : row.median.otherCpuPct;
          cells.push(Number.isFinite(other) ? `${Math.round(other)}%` : '—');
        }
        lines.push(
          `| ${c.label} | ${row.target} | ${cells.join(' | ')} | ${row.ok}/${row.rounds} |`,
        );
        for (const e of row.errors)
          errors.push(`- ${s.scenario} ${c.label} ${row.target}: ${errorLine(e)}`);
      }
    }
    if (s.notes?.length) lines.push('', ...s.notes.map((n) => `- ${n}`));
  }
  // Each legend line with the report kinds it explains; only those of this report are printed.
  const legend = [
    [
      ['load', 'crossnode'],
      '- msgs/s: fan-out = messages delivered per second summed over the N receivers; request/reply = replies per second.',
    ],
    [
      ['load', 'crossnode'],
      '- p50/p99: latency from the sender timestamp in the payload to receipt (fan-out: at each receiver; request/reply: round trip), under closed-loop load.',
    ],
    [
      ['load', 'crossnode'],
      '- srv CPU ms/1k msgs: server user+system CPU time per 1,000 delivered messages (replies). srv CPU: the server process as % of one core.',
    ],
    [
      ['crossnode'],
      '- cross-node: srv CPU is summed over both nodes (its % can exceed 100); redis CPU: the redis-server process (/proc/<pid>/stat, 10 ms ticks) per 1,000 delivered messages and as % of one core.',
    ],
    [
      ['scaleout'],
      "- scaleout: bcast/s = broadcasts received by the probe (in every room) per second; deliveries/s per node = messages its members received per second (mean over the nodes); CPU per node = mean % of one core; node CPU ms/1k bcast = one node's CPU per 1,000 broadcasts (mean over the nodes); redis CPU = the redis-server (/proc, 10 ms ticks), % of one core and per 1,000 broadcasts; redis channels = pubsub_channels once every member joined. All processes share the same 2 cores.",
    ],
    [
      ['idle', 'c100k'],
      '- heap+ext/conn, rss/conn: server memory growth per open connection after forced full GCs.',
    ],
    [
      ['c100k'],
      '- c100k: held = connections open at the end; conn/s = N / time from the first connect to the last open; RSS at N after forced full GCs, peak RSS = the process maximum so far; idle CPU = the server, % of one core, in the idle window with heartbeats on; pings/s = pings the clients answered in it; bcast to all = from the trigger to the last receipt among all N (median of the broadcasts), bcast p50 = median receipt; gen CPU max conn / bcast = busiest generator process while connecting / during a broadcast; other CPU idle = the rest of the machine in the idle window.',
    ],
    [
      ['load', 'crossnode', 'scaleout', 'idle', 'c100k'],
      `- gen CPU: load-generator processes as % of one core, busiest process / sum. ⚠ = a generator process above ${GEN_SATURATED_PCT}% of a core: the figure may be limited by the load generator, not the server.`,
    ],
    [
      ['load', 'crossnode', 'scaleout', 'c100k'],
      "- other CPU: the rest of the machine's busy CPU during the window (other jobs, kernel softirq threads), % of one core. High values mean a noisy run.",
    ],
    [
      ['load', 'crossnode', 'scaleout', 'idle', 'c100k'],
      '- ok: rounds that produced figures / rounds run.',
    ],
  ];
  const kinds = new Set(summary.map((s) => s.kind));
  lines.push('', '**Legend.**');
  lines.push(...legend.filter(([k]) => k.some((x) => kinds.has(x))).map(([, text]) => text));
  if (saturated)
    lines.push('', '⚠ At least one case had a saturated load generator (see README, "Caveats").');
  if (errors.length) lines.push('', '**Errors.**', ...errors);
  return lines.join('\n') + '\n';
}
