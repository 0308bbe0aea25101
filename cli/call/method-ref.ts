/**
 * What `lab call` resolves before it dials: `<Service>/<Method>` against the contract (full or short
 * service name), a deadline such as `2s` or `500ms`, and a request from JSON through the proto's JSON
 * mapping. Every mistake is a usage error that names what was wrong and what would be right.
 */
import type { DescMessage, DescMethod, DescService } from '@bufbuild/protobuf';
import { fromJsonString, type JsonValue, toJson } from '@bufbuild/protobuf';
import { LabError } from '../../lab/runtime/index.ts';
import { ALL_SERVICES } from '../../node/transport/index.ts';

export interface MethodRef {
  service: DescService;
  method: DescMethod;
}

export function resolveMethod(ref: string): MethodRef {
  const slash = ref.lastIndexOf('/');
  if (slash <= 0 || slash === ref.length - 1) {
    throw new LabError(
      'usage',
      `method '${ref}': expected <Service>/<Method>, e.g. ClusterService/GetClusterStatus`,
    );
  }
  const serviceName = ref.slice(0, slash);
  const methodName = ref.slice(slash + 1);
  const service = ALL_SERVICES.find((s) => s.typeName === serviceName || s.name === serviceName);
  if (!service) {
    throw new LabError(
      'usage',
      `method '${ref}': no service '${serviceName}' (services: ${ALL_SERVICES.map((s) => s.typeName).join(', ')})`,
    );
  }
  const method = service.methods.find((m) => m.name === methodName);
  if (!method) {
    throw new LabError(
      'usage',
      `method '${ref}': ${service.typeName} has no method '${methodName}' (methods: ${service.methods.map((m) => m.name).join(', ')})`,
    );
  }
  return { service, method };
}

/** `2s`, `1.5s`, `500ms`, `1m`: milliseconds. */
export function parseDeadline(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (!m) throw new LabError('usage', `--deadline '${text}': expected a duration such as 2s, 500ms or 1m`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  if (ms <= 0) throw new LabError('usage', `--deadline '${text}': must be more than 0`);
  return ms;
}

/** The request message from JSON (proto3 JSON mapping: field names as in the proto or in lowerCamelCase). */
export function requestFromJson(ref: MethodRef, json: string) {
  try {
    return fromJsonString(ref.method.input, json.trim() === '' ? '{}' : json);
  } catch (err) {
    throw new LabError(
      'usage',
      `request for ${ref.service.typeName}/${ref.method.name} (${ref.method.input.typeName}): ${(err as Error).message}`,
    );
  }
}

/** A reply as JSON, every field shown (defaults included) so an empty answer still says what it has. */
export function replyToJson(schema: DescMessage, message: Parameters<typeof toJson>[1]): JsonValue {
  return toJson(schema, message, { alwaysEmitImplicit: true });
}

/** `lab call --list`: every service and method, with its request and reply types and whether it streams. */
export function listMethods(): string {
  const lines: string[] = [];
  for (const service of ALL_SERVICES) {
    lines.push(service.typeName);
    for (const m of service.methods) {
      const stream = m.methodKind === 'server_streaming' ? 'stream ' : '';
      lines.push(`  ${m.name}(${m.input.typeName}) returns (${stream}${m.output.typeName})`);
    }
  }
  return `${lines.join('\n')}\n`;
}
