/** The services of the contract, as generated from proto/. */
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { BlixardService, ClusterService } from '../gen/blixard_pb.js';
import { Health } from '../gen/grpc/health/v1/health_pb.js';

export { BlixardService, ClusterService, Health };

export const ALL_SERVICES: readonly DescService[] = [ClusterService, BlixardService, Health];

export function allMethods(): DescMethod[] {
  return ALL_SERVICES.flatMap((s) => s.methods);
}
