/**
 * gRPC server reflection: a reflection client (the grpc.reflection v1 and
 * v1alpha protocols, as grpcurl speaks them) lists the node's services and
 * resolves a method to its proto file with no proto files of its own.
 */
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackServer, nodeShapedRegistry, serveOnLoopback } from './testing.ts';

const REFLECTION_PROTOS = join(
  import.meta.dirname,
  '..',
  '..',
  'node_modules',
  '@grpc',
  'reflection',
  'build',
  'proto',
  'grpc',
  'reflection',
);

const { registry } = nodeShapedRegistry();

let server: LoopbackServer;
beforeAll(async () => {
  server = await serveOnLoopback(registry);
});
afterAll(() => server?.stop());

interface ReflectionReply {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

/** One request on a ServerReflectionInfo stream, as a reflection client sends it. */
async function reflect(
  version: 'v1' | 'v1alpha',
  request: Record<string, unknown>,
): Promise<ReflectionReply> {
  const def = protoLoader.loadSync(join(REFLECTION_PROTOS, version, 'reflection.proto'), {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
  };
  const Client = pkg.grpc.reflection[version]?.ServerReflection;
  if (Client === undefined) throw new Error(`no ServerReflection in ${version}`);
  const client = new Client(server.runner.grpcAddress ?? '', grpc.credentials.createInsecure());
  try {
    return await new Promise<ReflectionReply>((resolve, reject) => {
      const call = (
        client as unknown as { serverReflectionInfo(): grpc.ClientDuplexStream<unknown, ReflectionReply> }
      ).serverReflectionInfo();
      call.on('data', (reply: ReflectionReply) => {
        resolve(reply);
        call.end();
      });
      call.on('error', reject);
      call.write({ host: '', ...request });
    });
  } finally {
    client.close();
  }
}

describe('gRPC server reflection', () => {
  it.each(['v1', 'v1alpha'] as const)('lists the services over %s', async (version) => {
    const reply = await reflect(version, { listServices: '*' });
    const names = reply.listServicesResponse?.service.map((s) => s.name) ?? [];
    expect(names).toEqual(
      expect.arrayContaining(['blixard.ClusterService', 'blixard.BlixardService', 'grpc.health.v1.Health']),
    );
  });

  it('resolves a method to the proto file that declares it and its messages', async () => {
    const reply = await reflect('v1', { fileContainingSymbol: 'blixard.ClusterService.CreateVm' });
    const files = (reply.fileDescriptorResponse?.fileDescriptorProto ?? []).map((b) =>
      fromBinary(FileDescriptorProtoSchema, b),
    );
    const file = files.find((f) => f.service.some((s) => s.name === 'ClusterService'));
    expect(file?.package).toBe('blixard');
    const method = file?.service
      .find((s) => s.name === 'ClusterService')
      ?.method.find((m) => m.name === 'CreateVm');
    expect(method?.inputType).toBe('.blixard.CreateVmRequest');
    expect(file?.messageType.some((m) => m.name === 'CreateVmRequest')).toBe(true);
  });

  it('answers NOT_FOUND for a symbol it does not know', async () => {
    const reply = await reflect('v1', { fileContainingSymbol: 'blixard.Nope' });
    expect(reply.errorResponse?.errorCode).toBe(grpc.status.NOT_FOUND);
  });
});
