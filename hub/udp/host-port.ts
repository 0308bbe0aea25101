/** Parses the `host:port` strings of Toxiproxy's listen/upstream fields (IPv6 as `[::1]:port`). */
import { isIP } from 'node:net';
import { ApiError } from './api-error.ts';

export interface HostPort {
  host: string;
  port: number;
  /** 'udp6' only for IPv6 literals; names resolve as IPv4, as container networks here are IPv4. */
  family: 'udp4' | 'udp6';
}

export function parseHostPort(value: unknown, field: string, options: { allowPortZero: boolean }): HostPort {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ApiError(400, 'must be a "host:port" string', field);
  }
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (!match) throw new ApiError(400, `'${value}' is not "host:port"`, field);
  const host = match[1] ?? (match[2] || '0.0.0.0');
  const port = Number(match[3]);
  if (port > 65535 || (port === 0 && !options.allowPortZero)) {
    throw new ApiError(400, `port ${port} is out of range`, field);
  }
  return { host, port, family: isIP(host) === 6 ? 'udp6' : 'udp4' };
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
