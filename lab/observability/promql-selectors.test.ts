import { describe, expect, it } from 'vitest';
import { selectorsIn } from './promql-selectors.ts';

describe('selectorsIn', () => {
  it('finds names and matchers, inside functions and around `or`', () => {
    expect(
      selectorsIn(
        'sum by (t) (rate(blixard_rpc_server_duration_seconds_count{code!="0"}[1m])) or count(udp_proxy_link_enabled == 0) or vector(0)',
      ),
    ).toEqual(['blixard_rpc_server_duration_seconds_count{code!="0"}', 'udp_proxy_link_enabled']);
  });
});
