/** ALPN of the benchmark's multiplexed echo (not part of the node's contract). */
export const MUX_ALPN = 'blixard-bench/mux/1';
