/** The chaos hub image: Toxiproxy and the UDP toxic proxy side by side. */
export { hub, TOXIPROXY_API_PORT, UDP_PROXY_API_PORT } from './recipe.ts';
