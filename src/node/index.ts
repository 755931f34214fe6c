// `resilient-stream/node`: Node-only helpers (health over HTTP, Prometheus text). Filled in by the
// health-server work; kept as an entry so the build and exports map are in place.
export {};
