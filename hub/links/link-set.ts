/**
 * Named links on both transports of the chaos hub, driven with toxiproxy-node-client against the
 * real Toxiproxy (TCP) and the UDP toxic proxy alike: a link is the proxy of the same name on each.
 * A change that fails on one transport is undone on the other, so a link is never half-faulted.
 */

import { type Toxic, type ToxicType, Toxiproxy, type Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';
import { release } from '../../node/lib/index.ts';
import {
  attributesFor,
  LINK_SIDES,
  type LinkSide,
  type LinkToxicSpec,
  parseLinkToxic,
} from './toxic-spec.ts';

export interface LinkSetOptions {
  /** Admin API base URLs, e.g. http://127.0.0.1:8474 (Toxiproxy) and http://127.0.0.1:8475 (UDP proxy). */
  tcpAdmin?: string;
  udpAdmin?: string;
}

export interface LinkEnds {
  listen: string;
  upstream: string;
}

export interface LinkDefinition {
  name: string;
  tcp?: LinkEnds;
  udp?: LinkEnds;
}

export interface ToxicOptions {
  /** Default: every transport the link has. */
  transports?: readonly LinkSide[];
}

export class Link {
  readonly name: string;
  readonly #proxies: Map<LinkSide, ToxiproxyProxy>;

  constructor(name: string, proxies: Map<LinkSide, ToxiproxyProxy>) {
    this.name = name;
    this.#proxies = proxies;
  }

  get transports(): LinkSide[] {
    return LINK_SIDES.filter((t) => this.#proxies.has(t));
  }

  /** Where clients reach the link on a transport (the proxy's listen address). */
  listen(transport: LinkSide): string {
    return this.#proxy(transport).listen;
  }

  /** Adds the same toxic on each transport; returns the toxic's name. */
  async addToxic(input: unknown, options: ToxicOptions = {}): Promise<string> {
    const transports = options.transports ?? this.transports;
    const spec = parseLinkToxic(input, transports);
    const added: Toxic<unknown>[] = [];
    try {
      for (const transport of transports) {
        added.push(await this.#proxy(transport).addToxic(toxicBody(spec, transport)));
      }
    } catch (error) {
      await Promise.allSettled(added.map((t) => t.remove()));
      throw error;
    }
    return spec.name;
  }

  async removeToxic(name: string, options: ToxicOptions = {}): Promise<void> {
    for (const transport of options.transports ?? this.transports) {
      const proxy = this.#proxy(transport);
      await (await proxy.getToxic(name)).remove();
    }
  }

  /** Removes every toxic on every transport of this link. */
  async clearToxics(): Promise<void> {
    for (const transport of this.transports) {
      const proxy = this.#proxy(transport);
      // The client has no call to list a proxy's toxics; its HTTP helper reads GET /proxies/{name}/toxics.
      const listed = await proxy.getToxiproxy().getApi().get(`${proxy.getPath()}/toxics`);
      for (const toxic of listed.data as { name: string }[])
        await (await proxy.getToxic(toxic.name)).remove();
    }
  }

  /** The link goes down on every transport (a partition of this pair). */
  async cut(): Promise<void> {
    await this.#setEnabled(false);
  }

  async heal(): Promise<void> {
    await this.#setEnabled(true);
  }

  async #setEnabled(enabled: boolean): Promise<void> {
    const done: LinkSide[] = [];
    try {
      for (const transport of this.transports) {
        const proxy = this.#proxy(transport);
        this.#proxies.set(transport, await proxy.update({ ...proxy.toJson(), enabled }));
        done.push(transport);
      }
    } catch (caught) {
      let error = caught;
      for (const transport of done) {
        const proxy = this.#proxy(transport);
        // Undo what took; the first error is the one to report, a failed undo joins it.
        await release(proxy.update({ ...proxy.toJson(), enabled: !enabled }), (undo) => {
          error = new AggregateError(
            [error, undo],
            `${(error as Error).message} (and undoing ${transport} failed)`,
          );
        });
      }
      throw error;
    }
  }

  #proxy(transport: LinkSide): ToxiproxyProxy {
    const proxy = this.#proxies.get(transport);
    if (!proxy) throw new Error(`link '${this.name}' has no ${transport} side`);
    return proxy;
  }
}

function toxicBody(spec: LinkToxicSpec, transport: LinkSide) {
  return {
    name: spec.name,
    // The client's type union lists Toxiproxy's types only; the UDP proxy adds its own.
    type: spec.type as ToxicType,
    stream: spec.stream,
    toxicity: spec.toxicity,
    attributes: attributesFor(spec, transport),
  };
}

export interface LinkSet {
  /** Creates the link's proxy on each transport given. */
  create(definition: LinkDefinition): Promise<Link>;
  /** A link whose proxies already exist (e.g. populated at hub start). */
  get(name: string, transports?: readonly LinkSide[]): Promise<Link>;
  /** Cuts all given links (a partition is a set of cut links); heal them with heal(). */
  cut(links: readonly Link[]): Promise<void>;
  heal(links: readonly Link[]): Promise<void>;
  /** Every link on both servers enabled and without toxics. */
  reset(): Promise<void>;
}

export function createLinkSet(options: LinkSetOptions): LinkSet {
  const clients = new Map<LinkSide, Toxiproxy>();
  if (options.tcpAdmin) clients.set('tcp', new Toxiproxy(options.tcpAdmin));
  if (options.udpAdmin) clients.set('udp', new Toxiproxy(options.udpAdmin));
  const client = (transport: LinkSide): Toxiproxy => {
    const c = clients.get(transport);
    if (!c) throw new Error(`no ${transport} admin URL given (${transport}Admin)`);
    return c;
  };

  return {
    async create(definition) {
      const proxies = new Map<LinkSide, ToxiproxyProxy>();
      try {
        for (const transport of LINK_SIDES) {
          const ends = definition[transport];
          if (!ends) continue;
          proxies.set(transport, await client(transport).createProxy({ name: definition.name, ...ends }));
        }
      } catch (error) {
        await Promise.allSettled([...proxies.values()].map((p) => p.remove()));
        throw error;
      }
      return new Link(definition.name, proxies);
    },
    async get(name, transports = [...clients.keys()]) {
      const proxies = new Map<LinkSide, ToxiproxyProxy>();
      for (const transport of transports) proxies.set(transport, await client(transport).get(name));
      return new Link(name, proxies);
    },
    async cut(links) {
      await Promise.all(links.map((l) => l.cut()));
    },
    async heal(links) {
      await Promise.all(links.map((l) => l.heal()));
    },
    async reset() {
      await Promise.all([...clients.values()].map((c) => c.reset()));
    },
  };
}
