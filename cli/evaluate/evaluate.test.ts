import { describe, expect, it } from 'vitest';
import { LabError } from '../../lab/runtime/index.ts';
import { evaluateCommand } from './index.ts';

const io = { out: () => {}, err: () => {} };

describe('lab evaluate: bad input', () => {
  it('names what cannot be evaluated, and a bad budget, before anything starts', async () => {
    await expect(evaluateCommand('etcd', {}, io)).rejects.toThrow(
      new LabError('usage', "evaluate 'etcd': only 'raft' can be evaluated"),
    );
    await expect(evaluateCommand('raft', { budget: 'soon' }, io)).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringMatching(/^--budget: /),
    });
  });
});
