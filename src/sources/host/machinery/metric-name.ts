/**
 * node_exporter's SanitizeMetricName: each run of characters invalid in a
 * metric name, with the underscores around it, becomes one "_".
 */
export function sanitizeMetricName(name: string): string {
  return name.replace(/_*[^0-9A-Za-z_]+_*/g, '_');
}
