import { describe, expect, it } from 'vitest';
import { ClusterStatusRequestSchema } from '../../node/gen/blixard_pb.js';
import { listMethods, parseDeadline, requestFromJson, resolveMethod } from './method-ref.ts';

describe('lab call: what it resolves before dialling', () => {
  it('finds a method by full or short service name', () => {
    expect(resolveMethod('blixard.ClusterService/GetClusterStatus').method.name).toBe('GetClusterStatus');
    expect(resolveMethod('ClusterService/GetClusterStatus').service.typeName).toBe('blixard.ClusterService');
    expect(resolveMethod('grpc.health.v1.Health/Check').method.input.typeName).toBe(
      'grpc.health.v1.HealthCheckRequest',
    );
  });

  it('names what is wrong with a method reference, and what exists', () => {
    expect(() => resolveMethod('GetClusterStatus')).toThrow(/expected <Service>\/<Method>/);
    expect(() => resolveMethod('Nope/GetClusterStatus')).toThrow(
      /no service 'Nope' \(services: blixard\.ClusterService/,
    );
    expect(() => resolveMethod('ClusterService/Nope')).toThrow(
      /has no method 'Nope' \(methods: JoinCluster,/,
    );
  });

  it('reads durations and refuses others', () => {
    expect(parseDeadline('2s')).toBe(2000);
    expect(parseDeadline('500ms')).toBe(500);
    expect(parseDeadline('1.5s')).toBe(1500);
    expect(parseDeadline('1m')).toBe(60_000);
    expect(() => parseDeadline('soon')).toThrow(/--deadline 'soon'/);
    expect(() => parseDeadline('0s')).toThrow(/more than 0/);
  });

  it('builds the request from the proto JSON mapping, naming a bad field', () => {
    const ref = resolveMethod('ClusterService/GetClusterStatus');
    const req = requestFromJson(ref, '{"consistency": "READ_CONSISTENCY_LOCAL"}');
    expect(req.$typeName).toBe(ClusterStatusRequestSchema.typeName);
    expect(requestFromJson(ref, '').$typeName).toBe(ClusterStatusRequestSchema.typeName);
    expect(() => requestFromJson(resolveMethod('ClusterService/CreateVm'), '{"vcpu": 2}')).toThrow(
      /request for blixard\.ClusterService\/CreateVm \(blixard\.CreateVmRequest\): .*vcpu/,
    );
    expect(() => requestFromJson(ref, '{not json')).toThrow(
      /request for blixard\.ClusterService\/GetClusterStatus/,
    );
  });

  it('lists every method of every service, streams marked', () => {
    const list = listMethods();
    expect(list).toContain('  CreateVm(blixard.CreateVmRequest) returns (blixard.CreateVmResponse)');
    expect(list).toContain(
      '  Watch(grpc.health.v1.HealthCheckRequest) returns (stream grpc.health.v1.HealthCheckResponse)',
    );
  });
});
