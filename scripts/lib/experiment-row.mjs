// Prints one markdown row of the experiments table for a run folder:
// the best validation accuracy over both datasets (train's metrics.jsonl),
// each dataset's val accuracy and UTKFace's weakest adult race x gender
// group (eval's reports in RUN/eval-*-val/eval.json), and the training time.
// Usage: node scripts/lib/experiment-row.mjs RUN
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';

const run = process.argv[2];
if (!run) throw new Error('usage: node scripts/lib/experiment-row.mjs RUN');
const percent = (x) => `${(100 * x).toFixed(2)}%`;

const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const validated = lines.filter((l) => 'val_accuracy' in l);
if (validated.length === 0) throw new Error(`${run}/metrics.jsonl: no validation line`);
const best = validated.reduce((a, b) => (b.val_accuracy > a.val_accuracy ? b : a));
// Each line covers the steps since the one before it, at its samples/s.
let seconds = 0;
let previous = 0;
const batch = JSON.parse(readFileSync(join(run, 'last.json'), 'utf8')).config?.batch ?? 64;
for (const l of lines) {
  seconds += ((l.step - previous) * batch) / l.samples_per_s;
  previous = l.step;
}

const evals = readdirSync(run)
  .filter((d) => d.startsWith('eval-') && d.endsWith('-val') && existsSync(join(run, d, 'eval.json')))
  .map((d) => ({ name: d.slice(5, -4), report: JSON.parse(readFileSync(join(run, d, 'eval.json'), 'utf8')) }));
const cells = evals.map((e) => `${e.name} ${percent(e.report.overall.accuracy)}`);
const groups = evals.flatMap((e) => Object.entries(e.report.by_race_gender_adults ?? {}));
let weakest = '—';
let gap = '—';
if (groups.length > 0) {
  const sorted = groups.sort((a, b) => a[1].accuracy - b[1].accuracy);
  const [name, g] = sorted[0];
  weakest = `${name} ${percent(g.accuracy)} (${g.count})`;
  gap = (100 * (sorted.at(-1)[1].accuracy - g.accuracy)).toFixed(1);
}
console.log(
  `| ${basename(run)} | ${previous} | ${percent(best.val_accuracy)} at ${best.step} | ${cells.join(', ')} | ` +
    `${weakest} | ${gap} | ${(seconds / 60).toFixed(0)} min |`,
);
