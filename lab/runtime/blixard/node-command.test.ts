import { describe, expect, it } from 'vitest';
import { blixardId, blixardPorts, natScript, nodeArgv, startScript } from './node-command.ts';

describe('blixard node command', () => {
  it('bootstraps node 1 and joins the others with the ticket, on the mock VM backend', () => {
    expect(nodeArgv(1, undefined)).not.toContain('--join-ticket');
    const argv = nodeArgv(3, 'nodeabc');
    expect(argv.slice(0, 6)).toEqual([
      '/usr/local/bin/blixard',
      'node',
      '--id',
      '3',
      '--bind',
      '0.0.0.0:7003',
    ]);
    expect(argv.slice(-2)).toEqual(['--join-ticket', 'nodeabc']);
    expect(argv).toContain('--mock-vm');
  });

  it("puts node i's Iroh on UDP 50000 + i, as Blixard's transport does", () => {
    expect(blixardPorts(2).iroh).toBe(50002);
    expect(blixardId('n12')).toBe(12);
    expect(() => blixardId('client')).toThrow(/not a lab node id: 'client'/);
  });

  it('translates each peer address to its hub link, replacing earlier rules', () => {
    const script = natScript([
      { peerIp: '172.20.0.2', hubIp: '172.21.0.3', hubPort: 10004 },
      { peerIp: '172.22.0.2', hubIp: '172.21.0.3', hubPort: 10005 },
    ]);
    expect(script).toContain('-t nat -F LAB_LINKS');
    expect(script).toContain('-A LAB_LINKS -p udp -d 172.20.0.2 -j DNAT --to-destination 172.21.0.3:10004');
    expect(script).toContain('-A LAB_LINKS -p udp -d 172.22.0.2 -j DNAT --to-destination 172.21.0.3:10005');
  });

  it('refuses what is not an address or a port', () => {
    expect(() => natScript([{ peerIp: 'n1; rm -rf /', hubIp: '172.21.0.3', hubPort: 1 }])).toThrow(
      /'n1; rm -rf \/' is not an IPv4 address/,
    );
    expect(() => natScript([{ peerIp: '1.2.3.4', hubIp: '172.21.0.3', hubPort: 70000 }])).toThrow(
      /hub port 70000 is out of range/,
    );
  });

  it('starts the node after its translation, quoting what needs it', () => {
    const s = startScript(['blixard', 'node', "it's"]);
    expect(s.indexOf('nat.sh')).toBeLessThan(s.indexOf('exec blixard'));
    expect(s).toContain(`exec blixard node 'it'\\''s'`);
  });
});
