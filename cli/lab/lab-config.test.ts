import { describe, expect, it } from 'vitest';
import { parseLabConfig } from './lab-config.ts';

describe('lab config file', () => {
  it('reads the cluster shape and the strategy in the node config’s words', () => {
    const cfg = parseLabConfig(
      [
        'nodes = 5',
        'runtime = "process"',
        'mode = "dual"',
        'seed = 9',
        '[strategy]',
        'prefer_iroh = ["health", "status"]',
        'raft_transport = { adaptive = { latency_threshold_ms = 10 } }',
      ].join('\n'),
      'lab.toml',
    );
    expect(cfg).toEqual({
      nodes: 5,
      runtime: 'process',
      mode: 'dual',
      seed: 9,
      strategy: {
        preferIroh: ['health', 'status'],
        raftTransport: { adaptive: { latencyThresholdMs: 10 } },
        fallbackToGrpc: true,
      },
    });
  });

  it('names the file and the field that is wrong', () => {
    expect(() => parseLabConfig('mode = "tcp"', 'bad.toml')).toThrow(/bad\.toml[\s\S]*mode/);
    expect(() => parseLabConfig('nodez = 3', 'bad.toml')).toThrow(/nodez/);
    expect(() => parseLabConfig('[strategy]\nprefer_iroh = ["nope"]', 'bad.toml')).toThrow(/prefer_iroh/);
    expect(() => parseLabConfig('nodes = ', 'bad.toml')).toThrow(/bad\.toml: TOML syntax at line 1/);
  });
});
