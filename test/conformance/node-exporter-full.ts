/** The Node Exporter Full dashboard (test/fixtures/dashboards/), as the conformance tests read it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_FIXTURES } from '../helpers/fixtures.ts';

/** Optional collectors the dashboard's panels need; the README says how to turn each on. */
export const DASHBOARD_OPTIONAL_COLLECTORS = ['processes', 'interrupts', 'tcpstat'];

export interface DashboardQuery {
  panel: string;
  expr: string;
}

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every target expression of every panel, nested rows included, in dashboard order. */
export function dashboardQueries(): DashboardQuery[] {
  const dashboard = JSON.parse(readFileSync(path.join(TEST_FIXTURES, 'dashboards', 'node-exporter-full.json'), 'utf8')) as { panels: Panel[] };
  const queries: DashboardQuery[] = [];
  const walk = (panels: Panel[]): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) queries.push({ panel: p.title ?? '', expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  return queries;
}

/** The node_* metric names the queries read. */
export function dashboardMetricNames(): string[] {
  return [...new Set(dashboardQueries().flatMap((q) => [...q.expr.matchAll(/\bnode_\w+/g)].map((m) => m[0])))].sort();
}
