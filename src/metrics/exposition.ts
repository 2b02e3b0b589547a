/**
 * Prometheus text exposition (format 0.0.4) for const metrics built afresh on every scrape, as
 * redis_exporter does with Go's MustNewConstMetric. prom-client models long-lived in-process
 * instruments (reset + set on each scrape); this is the format alone, validated by promtool in tests.
 */

export type MetricType = 'gauge' | 'counter';
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Collects samples by family, keeping the order of first appearance. */
export class MetricSet {
  readonly #families = new Map<string, MetricFamily>();

  /** Adds one sample; undefined or non-finite values (a field this server lacks) are skipped. */
  add(
    name: string,
    type: MetricType,
    help: string,
    value: number | undefined,
    labels: Labels = {},
  ): void {
    if (value === undefined || Number.isNaN(value)) return;
    let f = this.#families.get(name);
    if (!f) {
      if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
      if (type === 'counter' && !name.endsWith('_total'))
        throw new Error(`counter ${name} must end in _total`);
      f = { name, type, help, samples: [] };
      this.#families.set(name, f);
    }
    f.samples.push({ labels, value });
  }

  gauge(name: string, help: string, value: number | undefined, labels?: Labels): void {
    this.add(name, 'gauge', help, value, labels);
  }

  counter(name: string, help: string, value: number | undefined, labels?: Labels): void {
    this.add(name, 'counter', help, value, labels);
  }

  families(): MetricFamily[] {
    return [...this.#families.values()];
  }

  render(): string {
    return renderFamilies(this.families());
  }
}

export function renderFamilies(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples)
      out.push(`${f.name}${renderLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return out.join('\n') + '\n';
}

function renderLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',')}}`;
}

export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
