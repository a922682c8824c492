"""Live tests: network namespaces with known sockets and routes, cross-checked against
ss, ip and nstat run in the same namespace. Need root; skipped otherwise."""
