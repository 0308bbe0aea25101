/** The TCP side of the chaos hub: the real Toxiproxy server. */
export {
  ensureToxiproxyBinary,
  startToxiproxyServer,
  TOXIPROXY_BINARY,
  type ToxiproxyServer,
} from './toxiproxy-server.ts';
