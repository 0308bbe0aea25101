/** The metric selectors inside a PromQL expression (the lab's series: blixard_*, udp_proxy_*). */

/**
 * Every selector of a lab series in `expr`: the metric name with its label matchers, if any. Used
 * to check that each series a panel reads exists, so that `or vector(0)` cannot hide a missing one.
 */
export function selectorsIn(expr: string): string[] {
  const found = expr.matchAll(/\b((?:blixard|udp_proxy|toxiproxy)_[a-z_]+)(\{[^}]*\})?/g);
  return [...new Set([...found].map((m) => `${m[1]}${m[2] ?? ''}`))];
}
