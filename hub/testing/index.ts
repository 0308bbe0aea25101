/** Test support for the hub's rooms: both proxies and both echo servers, started together. */
export { type ProxyBench, startProxyBench } from './proxy-bench.ts';
