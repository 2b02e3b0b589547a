import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, type Document } from 'yaml';
import { z } from 'zod';
import { RedisHaError } from '../errors/errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { topologySchema, type ParsedTopology } from './schema.js';
import { SEED_SOURCE, SEED_TOPOLOGY } from './seed.js';
import { deepFreeze, type NodeSpec, type SentinelSpec, type Topology } from './model.js';
import { semanticFindings, type Finding } from './checks.js';
import { CLUSTER_FOREIGN_KEYS, clusterTopologySchema } from './cluster-schema.js';
import { clusterFindings } from './cluster-checks.js';
import { expandCluster, toClusterModel } from './cluster-model.js';
import {
  disklessDelayMs,
  parseListen,
  placeAt,
  resolveHosts,
  sharedSections,
} from './resolve-common.js';

export const DEFAULT_TOPOLOGY_FILE = 'redis-ha.yaml';

export interface TopologyProblem {
  /** Dotted key path, '' for the document itself. */
  path: string;
  message: string;
  line?: number | undefined;
}

export function formatProblem(file: string, p: TopologyProblem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}`;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

function invalid(file: string, problems: TopologyProblem[]): RedisHaError {
  const lines = problems.map((p) => formatProblem(file, p));
  return new RedisHaError(
    'TOPOLOGY_INVALID',
    `invalid topology (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${lines.join('\n  ')}`,
    {
      hint: 'fix the keys named above; `redis-ha validate -f FILE` re-checks, docs/topology.md lists every key',
      details: { file, problems },
    },
  );
}

/** Unwraps defaults/optionals/effects to reach the object schema that owns a key path. */
function schemaAt(
  schema: z.ZodTypeAny,
  keys: readonly (string | number)[],
): z.ZodTypeAny | undefined {
  let s: z.ZodTypeAny | undefined = schema;
  const unwrap = (t: z.ZodTypeAny): z.ZodTypeAny => {
    if (t instanceof z.ZodDefault || t instanceof z.ZodOptional)
      return unwrap(t._def.innerType as z.ZodTypeAny);
    if (t instanceof z.ZodEffects) return unwrap(t.innerType() as z.ZodTypeAny);
    return t;
  };
  for (const k of keys) {
    if (!s) return undefined;
    let u = unwrap(s);
    // A union (a count or a list): follow the branch that has keys.
    if (u instanceof z.ZodUnion)
      u =
        (u.options as z.ZodTypeAny[])
          .map(unwrap)
          .find((o) => o instanceof z.ZodObject || o instanceof z.ZodArray) ?? u;
    if (u instanceof z.ZodObject) s = (u.shape as Record<string, z.ZodTypeAny>)[String(k)];
    else if (u instanceof z.ZodRecord) s = u._def.valueType as z.ZodTypeAny;
    else if (u instanceof z.ZodArray) s = u._def.type as z.ZodTypeAny;
    else return undefined;
  }
  return s ? unwrap(s) : undefined;
}

function lineOf(
  doc: Document | undefined,
  lc: LineCounter | undefined,
  keys: (string | number)[],
): number | undefined {
  if (!doc || !lc) return undefined;
  for (let n = keys.length; n >= 0; n--) {
    const node = doc.getIn(keys.slice(0, n), true) as
      { range?: [number, number, number] } | undefined;
    if (node?.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

/**
 * A union that failed without a message of its own ("Invalid input"): the issues of the branch
 * whose type the value has (a list's errors for a list), else the union's description.
 */
function expandUnions(
  issues: readonly z.ZodIssue[],
  root: z.ZodTypeAny,
  input: unknown,
): z.ZodIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union' || issue.message !== 'Invalid input') return [issue];
    const typed = issue.unionErrors.filter(
      (e) =>
        !e.issues.some((i) => i.code === 'invalid_type' && i.path.length === issue.path.length),
    );
    const only = typed.length === 1 ? typed[0] : undefined;
    if (only) return expandUnions(only.issues, root, input);
    const description = schemaAt(root, issue.path)?.description;
    return [{ ...issue, message: description ?? issue.message }];
  });
}

function zodProblems(
  error: z.ZodError,
  root: z.ZodTypeAny,
  input: unknown,
  doc?: Document,
  lc?: LineCounter,
  foreign: Readonly<Record<string, string>> = {},
): TopologyProblem[] {
  const out: TopologyProblem[] = [];
  for (const issue of expandUnions(error.issues, root, input)) {
    if (issue.code === 'unrecognized_keys') {
      const owner = schemaAt(root, issue.path);
      const known = owner instanceof z.ZodObject ? Object.keys(owner.shape as object) : [];
      for (const key of issue.keys) {
        const guess = didYouMean(key, known);
        const keyPath = [...issue.path, key];
        const note = foreign[keyPath.join('.')];
        out.push({
          path: keyPath.join('.'),
          message: note
            ? `${note}`
            : `unknown key${guess ? ` (did you mean "${guess}"?)` : `; expected one of: ${known.join(', ')}`}`,
          line: lineOf(doc, lc, keyPath),
        });
      }
      continue;
    }
    const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
    const message = missing
      ? `missing; ${issue.message.replace(/^Required$/, 'a value is required')}`
      : issue.message;
    out.push({ path: issue.path.join('.'), message, line: lineOf(doc, lc, issue.path) });
  }
  return out;
}

/** Validates a plain object (already parsed) and resolves it; throws TOPOLOGY_INVALID. */
export function resolveTopology(
  input: unknown,
  source: string,
  baseDir: string,
  doc?: Document,
  lc?: LineCounter,
): Topology {
  if (isClusterInput(input)) return resolveCluster(input, source, baseDir, doc, lc);
  const parsed = topologySchema.safeParse(input);
  if (!parsed.success)
    throw invalid(source, zodProblems(parsed.error, topologySchema, input, doc, lc));
  const t = parsed.data;
  const { errors, warnings } = semanticFindings(t);
  if (errors.length > 0) throw invalid(source, located(errors, doc, lc));
  return deepFreeze(toModel(t, source, baseDir, warnings));
}

function located(errors: Finding[], doc?: Document, lc?: LineCounter): TopologyProblem[] {
  return errors.map((e) => ({ ...e, line: lineOf(doc, lc, e.path ? e.path.split('.') : []) }));
}

/** A `cluster` section (or, without nodes and sentinels, a key that looks like one). */
function isClusterInput(input: unknown): boolean {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return false;
  const keys = Object.keys(input);
  if (keys.includes('cluster')) return true;
  return (
    !keys.includes('nodes') &&
    !keys.includes('sentinels') &&
    keys.some((k) => didYouMean(k, ['cluster']) === 'cluster')
  );
}

function resolveCluster(
  input: unknown,
  source: string,
  baseDir: string,
  doc?: Document,
  lc?: LineCounter,
): Topology {
  const parsed = clusterTopologySchema.safeParse(input);
  if (!parsed.success)
    throw invalid(
      source,
      zodProblems(parsed.error, clusterTopologySchema, input, doc, lc, CLUSTER_FOREIGN_KEYS),
    );
  const expanded = expandCluster(parsed.data);
  const { errors, warnings } = clusterFindings(parsed.data, expanded);
  if (errors.length > 0) throw invalid(source, located(errors, doc, lc));
  return deepFreeze(toClusterModel(parsed.data, expanded, source, baseDir, warnings));
}

function toModel(t: ParsedTopology, source: string, baseDir: string, warnings: string[]): Topology {
  const declared = t.hosts ?? {};
  const at = (h: string): { host: string; hostName: string } => placeAt(declared, h);
  const nodes: NodeSpec[] = Object.entries(t.nodes).map(([name, n]) => ({
    kind: 'node',
    name,
    role: n.role,
    ...at(n.host),
    bind: n.bind ?? [at(n.host).host],
    port: n.port,
    priority: n.priority,
  }));
  const sentinels: SentinelSpec[] = Object.entries(t.sentinels).map(([name, s]) => ({
    kind: 'sentinel',
    name,
    ...at(s.host),
    bind: s.bind ?? [at(s.host).host],
    port: s.port,
  }));
  const hosts = resolveHosts(declared, [...nodes, ...sentinels]);
  const [vip, prefix] = (t.endpoint.address ?? '').split('/');
  const replicas = nodes.filter((n) => n.role === 'replica').length;
  const shared = sharedSections(t, baseDir);
  return {
    kind: 'sentinel',
    source,
    hosts,
    masterName: t.masterName,
    stateDir: path.resolve(baseDir, t.stateDir),
    nodes,
    sentinels,
    quorum: t.quorum,
    persistence: shared.persistence,
    memory: shared.memory,
    sentinel: {
      downAfterMs: t.sentinel.downAfter,
      failoverTimeoutMs: t.sentinel.failoverTimeout,
      parallelSyncs: t.sentinel.parallelSyncs,
      debugPeriods: {
        ping: t.sentinel.pingPeriod === 'default' ? undefined : t.sentinel.pingPeriod,
        ask: t.sentinel.askPeriod === 'default' ? undefined : t.sentinel.askPeriod,
        info: t.sentinel.infoPeriod === 'default' ? undefined : t.sentinel.infoPeriod,
      },
    },
    replication: {
      minReplicasToWrite: t.replication.minReplicasToWrite,
      minReplicasMaxLagMs: t.replication.minReplicasMaxLag,
      singleCopyWrites: t.replication.singleCopyWrites,
      backlogBytes: t.replication.backlogSize,
      disklessSyncDelayMs: disklessDelayMs(t.replication.disklessSyncDelay, replicas),
      syncTimeoutMs: t.replication.syncTimeout,
    },
    supervisor: shared.supervisor,
    redis: {
      server: t.redis.server && path.resolve(baseDir, t.redis.server),
      sentinel: t.redis.sentinel && path.resolve(baseDir, t.redis.sentinel),
    },
    endpoint: {
      mode: t.endpoint.mode,
      listen: parseListen(t.endpoint.listen),
      waitTimeoutMs: t.endpoint.waitTimeout,
      multiplex: t.endpoint.multiplex,
      readListen: t.endpoint.readListen ? parseListen(t.endpoint.readListen) : undefined,
      address: vip || undefined,
      prefix: vip ? Number(prefix ?? 32) : undefined,
      interface: t.endpoint.interface,
      fenceTimeoutMs: t.endpoint.fenceTimeout,
    },
    exporter: {
      enabled: t.exporter.enabled,
      listen: parseListen(t.exporter.listen),
      timeoutMs: t.exporter.timeout,
    },
    auth: shared.auth,
    tls: shared.tls,
    dashboard: {
      enabled: t.dashboard.enabled,
      listen: parseListen(t.dashboard.listen),
      actions: t.dashboard.actions,
    },
    backup: t.backup.every
      ? {
          everyMs: t.backup.every,
          keep: t.backup.keep,
          dir: t.backup.dir
            ? path.resolve(baseDir, t.backup.dir)
            : path.join(path.resolve(baseDir, t.stateDir), 'backups'),
        }
      : undefined,
    warnings,
  };
}

/** Parses YAML text; every syntax problem names the file and line. */
/** Real topologies are a few KB; the YAML parser's duplicate-key check is quadratic in keys. */
export const MAX_TOPOLOGY_BYTES = 256 * 1024;

export function parseTopologyText(text: string, file: string, baseDir: string): Topology {
  if (text.length > MAX_TOPOLOGY_BYTES)
    throw invalid(file, [
      {
        path: '',
        message: `${text.length} characters: a topology file is at most ${MAX_TOPOLOGY_BYTES / 1024} KiB`,
        line: 1,
      },
    ]);
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lc,
    uniqueKeys: true,
    prettyErrors: true,
    // A collection used as a key is stringified and then fails the schema; no process warning.
    logLevel: 'error',
  });
  if (doc.errors.length > 0) {
    throw invalid(
      file,
      doc.errors.map((e) => ({
        path: '',
        message: `YAML syntax error: ${(e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '')}`,
        line: e.linePos?.[0].line,
      })),
    );
  }
  if (!isMap(doc.contents)) {
    throw invalid(file, [
      { path: '', message: 'expected a mapping of keys (nodes, sentinels, quorum, ...)', line: 1 },
    ]);
  }
  let value: unknown;
  try {
    // maxAliasCount bounds "billion laughs" alias expansion.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw invalid(file, [{ path: '', message: `YAML could not be read: ${(e as Error).message}` }]);
  }
  return resolveTopology(value, file, baseDir, doc, lc);
}

export interface LoadOptions {
  /** -f FILE; when absent, ./redis-ha.yaml if present, else the built-in seed topology. */
  file?: string | undefined;
  cwd?: string;
}

export function loadTopology(options: LoadOptions = {}): Topology {
  const cwd = options.cwd ?? process.cwd();
  let file = options.file;
  if (!file && existsSync(path.join(cwd, DEFAULT_TOPOLOGY_FILE))) file = DEFAULT_TOPOLOGY_FILE;
  if (!file) return resolveTopology(SEED_TOPOLOGY, SEED_SOURCE, cwd);
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new RedisHaError('TOPOLOGY_NOT_FOUND', `cannot read topology file ${file}`, {
      hint: 'check the path given to -f, or omit -f to use the seed topology',
      cause: e,
    });
  }
  return parseTopologyText(text, file, path.dirname(abs));
}
