/** All links of one UDP proxy process, by name: what the admin API creates, updates and removes. */
import { ApiError } from './api-error.ts';
import { type LinkProxyConfig, type LinkProxyOptions, UdpLinkProxy } from './link-proxy.ts';

/** Loopback unless told otherwise: a proxy created without `listen` must not open a port to the world. */
const DEFAULT_LISTEN = '127.0.0.1:0';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a proxy body as Toxiproxy does: name and upstream required, enabled defaults to true. */
export function parseProxyConfig(body: unknown, where = ''): LinkProxyConfig {
  if (!isRecord(body))
    throw new ApiError(400, 'must be a JSON object with name, listen, upstream', where || 'body');
  const field = (name: string) => (where ? `${where}.${name}` : name);
  const { name, listen = DEFAULT_LISTEN, upstream, enabled = true } = body;
  if (typeof name !== 'string' || name.length === 0) throw new ApiError(400, 'is required', field('name'));
  if (typeof upstream !== 'string' || upstream.length === 0) {
    throw new ApiError(400, 'is required', field('upstream'));
  }
  if (typeof listen !== 'string') throw new ApiError(400, 'must be a "host:port" string', field('listen'));
  if (typeof enabled !== 'boolean') throw new ApiError(400, 'must be true or false', field('enabled'));
  return { name, listen, upstream, enabled };
}

export class UdpProxyCollection {
  readonly #proxies = new Map<string, UdpLinkProxy>();
  /** Names being created right now, so two concurrent creates of one name cannot both succeed. */
  readonly #creating = new Set<string>();
  readonly #options: LinkProxyOptions;

  constructor(options: LinkProxyOptions) {
    this.#options = options;
  }

  list(): UdpLinkProxy[] {
    return [...this.#proxies.values()];
  }

  get(name: string): UdpLinkProxy {
    const proxy = this.#proxies.get(name);
    if (!proxy) throw new ApiError(404, `proxy '${name}' not found`, 'proxy');
    return proxy;
  }

  async create(body: unknown): Promise<UdpLinkProxy> {
    const config = parseProxyConfig(body);
    if (this.#proxies.has(config.name) || this.#creating.has(config.name)) {
      throw new ApiError(409, `proxy '${config.name}' already exists`, 'name');
    }
    return this.#start(config);
  }

  /**
   * Toxiproxy's populate: validates all first, then adds or replaces each; a proxy whose listen and
   * upstream did not change is kept as is (with its toxics). Returns the proxies created so far and
   * the error, if one stopped the run.
   */
  async populate(body: unknown): Promise<{ proxies: UdpLinkProxy[]; error: ApiError | null }> {
    if (!Array.isArray(body)) throw new ApiError(400, 'must be a JSON array of proxies', 'body');
    const configs = body.map((item, i) => parseProxyConfig(item, `[${i}]`));
    const proxies: UdpLinkProxy[] = [];
    for (const config of configs) {
      try {
        const existing = this.#proxies.get(config.name);
        if (existing && existing.listen === config.listen && existing.upstream === config.upstream) {
          proxies.push(existing);
          continue;
        }
        if (existing) await this.remove(config.name);
        proxies.push(await this.#start(config));
      } catch (error) {
        if (error instanceof ApiError) return { proxies, error };
        throw error;
      }
    }
    return { proxies, error: null };
  }

  /** Every link enabled, every toxic removed. */
  reset(): void {
    for (const proxy of this.#proxies.values()) proxy.reset();
  }

  async remove(name: string): Promise<void> {
    const proxy = this.get(name);
    this.#proxies.delete(name);
    await proxy.close();
  }

  async close(): Promise<void> {
    const all = this.list();
    this.#proxies.clear();
    await Promise.all(all.map((p) => p.close()));
  }

  async #start(config: LinkProxyConfig): Promise<UdpLinkProxy> {
    this.#creating.add(config.name);
    try {
      const proxy = await UdpLinkProxy.start(config, this.#options);
      this.#proxies.set(config.name, proxy);
      return proxy;
    } finally {
      this.#creating.delete(config.name);
    }
  }
}
