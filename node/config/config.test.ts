import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseNodeConfig, readJoinToken } from './index.ts';

const ID2 = 'a'.repeat(64);

const valid = `
[node]
id = "node-1"
data_dir = "/var/lib/blixard"

[transport]
mode = "dual"
[transport.grpc]
bind_address = "0.0.0.0:7001"
[transport.iroh]
bind_address = "0.0.0.0:7002"
[transport.migration]
prefer_iroh = ["health", "status"]
raft_transport = { adaptive = { latency_threshold_ms = 10 } }
fallback_to_grpc = true

[cluster]
bootstrap = true
peers = [{ id = "node-2", grpc = "hub:10012", iroh_id = "${ID2}", iroh_addrs = ["hub:20012"] }]

[metrics]
bind_address = "0.0.0.0:9100"
`;

function problems(text: string): string[] {
  try {
    parseNodeConfig(text, 'node.toml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('node.toml');
    return [...(err as ConfigError).problems];
  }
  throw new Error('config was accepted');
}

describe('node config', () => {
  it('accepts the full schema and fills defaults', () => {
    const cfg = parseNodeConfig(valid);
    expect(cfg.transport.migration.raft_transport).toEqual({ adaptive: { latency_threshold_ms: 10 } });
    expect(cfg.cluster.peers[0]?.iroh_addrs).toEqual(['hub:20012']);
    expect(cfg.transport.iroh.secret_key_file).toBe('/var/lib/blixard/iroh_secret.key');
    const minimal = parseNodeConfig('[node]\nid = "n"\ndata_dir = "/d"\n');
    expect(minimal.transport.mode).toBe('dual');
    expect(minimal.transport.iroh.relay).toBe('disabled');
    expect(minimal.transport.iroh).toMatchObject({
      request_read_timeout_ms: 5000,
      max_streams_per_connection: 100,
      max_streams_per_peer: 200,
    });
    const limited = parseNodeConfig(
      valid.replace(
        '[transport.iroh]',
        '[transport.iroh]\nrequest_read_timeout_ms = 2500\nmax_streams_per_peer = 50',
      ),
    );
    expect(limited.transport.iroh.request_read_timeout_ms).toBe(2500);
    expect(limited.transport.iroh.max_streams_per_peer).toBe(50);
  });

  it('names the field and the reason for each problem', () => {
    expect(problems(valid.replace('mode = "dual"', 'mode = "quic"'))).toEqual([
      'transport.mode: Invalid option: expected one of "grpc"|"dual"|"iroh"',
    ]);
    expect(problems(valid.replace('"health", "status"', '"health", "nope"'))[0]).toMatch(
      /^transport\.migration\.prefer_iroh\.1: /,
    );
    expect(problems(valid.replace('0.0.0.0:7001', '0.0.0.0:70001'))).toEqual([
      'transport.grpc.bind_address: port must be at most 65535',
    ]);
    expect(problems(valid.replace('latency_threshold_ms = 10', 'latency_threshold_ms = -1'))[0]).toMatch(
      /^transport\.migration\.raft_transport/,
    );
    expect(problems(valid.replace(`iroh_id = "${ID2}"`, 'iroh_id = "xyz"'))[0]).toMatch(
      /^cluster\.peers\.0\.iroh_id: expected an Iroh node id/,
    );
    expect(
      problems(valid.replace('[transport.iroh]', '[transport.iroh]\nmax_streams_per_connection = 0')),
    ).toEqual(['transport.iroh.max_streams_per_connection: Too small: expected number to be >=1']);
    expect(problems(valid.replace('[metrics]', '[metrics]\nport = 1'))).toEqual([
      'metrics: Unrecognized key: "port"',
    ]);
    expect(problems(valid.replace('id = "node-2"', 'id = "node-1"'))).toEqual([
      'cluster.peers.0.id: a node is not its own peer',
    ]);
    expect(problems(valid.replace('mode = "dual"', 'mode = "grpc"'))).toEqual([
      'transport.migration: mode "grpc" serves no Iroh: prefer_iroh must be empty and raft_transport "grpc"',
    ]);
    expect(problems(valid.replace(', grpc = "hub:10012"', ''))).toEqual([
      'cluster.peers.0.grpc: required in dual mode',
    ]);
  });

  it('reports TOML syntax errors with line and column', () => {
    expect(problems('[node]\nid = "n"\ndata_dir = \n')[0]).toMatch(/^TOML syntax at line 3, column \d+: /);
  });

  it('makes blixard-node exit with status 2 naming the file, field and reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'bad.toml');
    writeFileSync(file, valid.replace('mode = "dual"', 'mode = "quic"'));
    const run = spawnSync(process.execPath, ['node/main.ts', '--config', file], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`invalid config ${file}`);
    expect(run.stderr).toContain('transport.mode: Invalid option');
    const missing = spawnSync(process.execPath, ['node/main.ts', '--config', join(dir, 'none.toml')], {
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/none\.toml:\n\s+- cannot read the file: ENOENT/);
  });

  it('reads the join token from a file inside data_dir; none configured: no token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const withToken = (file: string) =>
      parseNodeConfig(
        valid
          .replace('data_dir = "/var/lib/blixard"', `data_dir = "${dir}"`)
          .replace('bootstrap = true', `bootstrap = true\njoin_token_file = "${file}"`),
      );
    writeFileSync(join(dir, 'join.token'), '  s3cret\n');
    const cfg = withToken('join.token');
    expect(cfg.cluster.join_token_file).toBe(join(dir, 'join.token'));
    expect(await readJoinToken(cfg)).toBe('s3cret');
    expect(await readJoinToken(parseNodeConfig(valid))).toBeUndefined();
    writeFileSync(join(dir, 'empty.token'), '\n');
    await expect(readJoinToken(withToken('empty.token'))).rejects.toThrow(
      /cluster\.join_token_file: the file is empty/,
    );
    await expect(readJoinToken(withToken('none.token'))).rejects.toThrow(
      /cluster\.join_token_file: cannot read the file: ENOENT/,
    );
  });
});
