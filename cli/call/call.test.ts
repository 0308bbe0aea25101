import { describe, expect, it } from 'vitest';
import { ALL_SERVICES } from '../../node/transport/index.ts';
import { useTestLab } from '../run-lab.ts';
import { callNode } from './call.ts';

const lab = useTestLab('lab-call-');

async function call(ref: string, json: string, transport: 'grpc' | 'iroh', deadline = '5s') {
  let out = '';
  let err = '';
  const code = await callNode(
    lab.cluster,
    'n1',
    ref,
    json,
    { transport, deadline },
    {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
    },
  );
  return { code, out, err };
}

/** Requests that say something; every other method is called with `{}`. */
const REQUESTS: Record<string, string> = {
  'blixard.ClusterService/ProposeTask': '{"key": "call", "op": "REGISTER_OP_WRITE", "value": "v"}',
  'blixard.BlixardService/ProposeTask': '{"key": "call", "op": "REGISTER_OP_WRITE", "value": "v"}',
  'blixard.ClusterService/GetVmStatus': '{"name": "absent"}',
  'blixard.BlixardService/GetVmStatus': '{"name": "absent"}',
  'grpc.health.v1.Health/Check': '{"service": "blixard.ClusterService"}',
};

describe('lab call', () => {
  const methods = ALL_SERVICES.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`));

  it.each(methods)(
    '%s answers over gRPC and Iroh alike',
    async (ref) => {
      const json = REQUESTS[ref] ?? '{}';
      // Watch streams until its deadline: a short one, then DEADLINE_EXCEEDED after the first message.
      const deadline = ref.endsWith('/Watch') ? '1s' : '5s';
      const grpc = await call(ref, json, 'grpc', deadline);
      const iroh = await call(ref, json, 'iroh', deadline);
      for (const r of [grpc, iroh]) {
        if (r.code === 0) expect(r.out.startsWith('{'), r.out).toBe(true);
        else expect(r.err).toMatch(/^[A-Z_]+: /);
      }
      const outcome = (r: typeof grpc) => (r.code === 0 ? 'OK' : r.err.slice(0, r.err.indexOf(':')));
      expect(outcome(iroh), `grpc: ${grpc.err || 'OK'} · iroh: ${iroh.err || 'OK'}`).toBe(outcome(grpc));
    },
    30_000,
  );

  it('prints a reply as JSON with every field, and a status as CODE: message', async () => {
    const ok = await call('ClusterService/GetVmStatus', '{"name": "absent"}', 'iroh');
    expect(ok.code).toBe(1);
    expect(ok.err).toMatch(/^NOT_FOUND: .*absent/);
    const status = await call(
      'ClusterService/GetClusterStatus',
      '{"consistency": "READ_CONSISTENCY_LOCAL"}',
      'grpc',
    );
    expect(status.code).toBe(0);
    const reply = JSON.parse(status.out) as { leaderId: string; members: unknown[]; stateDigest: string };
    expect(reply.leaderId).toBe('n1');
    expect(reply.members).toHaveLength(1);
    expect(reply.stateDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a node the lab lacks and a transport the node does not serve, naming them', async () => {
    await expect(
      callNode(lab.cluster, 'n9', 'ClusterService/HealthCheck', '{}', {}, { out() {}, err() {} }),
    ).rejects.toThrow(/node 'n9': the lab has n1/);
    await expect(
      callNode(
        lab.cluster,
        'n1',
        'ClusterService/HealthCheck',
        '{}',
        { transport: 'quic' },
        { out() {}, err() {} },
      ),
    ).rejects.toThrow(/--transport 'quic': expected grpc or iroh/);
  });
});
