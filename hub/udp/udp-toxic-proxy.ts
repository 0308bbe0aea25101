/** The UDP toxic proxy as a library: a set of links plus its admin API, started and closed together. */
import { type AdminServer, startAdminServer } from './admin-server.ts';
import { UdpProxyCollection } from './proxy-collection.ts';

export interface UdpToxicProxyOptions {
  /** Admin API address (default 127.0.0.1, port 0 = any free port). */
  host?: string;
  port?: number;
  /** The run's seed: the same seed and traffic give the same toxic decisions. */
  seed: number;
  idleTimeoutMs?: number;
}

export interface UdpToxicProxy {
  readonly url: string;
  readonly port: number;
  readonly proxies: UdpProxyCollection;
  close(): Promise<void>;
}

export async function startUdpToxicProxy(options: UdpToxicProxyOptions): Promise<UdpToxicProxy> {
  const proxies = new UdpProxyCollection({
    seed: options.seed,
    ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
  });
  let admin: AdminServer;
  try {
    admin = await startAdminServer(proxies, {
      ...(options.host !== undefined && { host: options.host }),
      ...(options.port !== undefined && { port: options.port }),
    });
  } catch (error) {
    await proxies.close();
    throw error;
  }
  return {
    url: admin.url,
    port: admin.port,
    proxies,
    async close() {
      await admin.close();
      await proxies.close();
    },
  };
}
