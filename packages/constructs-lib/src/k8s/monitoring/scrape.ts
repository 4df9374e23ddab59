/**
 * Annotation-based scrape opt-in: a pod that carries these is scraped by the `kubernetes-pods` job, and its series
 * get `job` = the pod's `app.kubernetes.io/name` label (the name alert rules and dashboards use).
 */
export function scrapeAnnotations(port: number, path = '/metrics'): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': path };
}
