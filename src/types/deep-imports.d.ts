// Types for the modules of undici and prom-client that src/http/request.ts and src/prom.ts load
// directly (both packages type only their index).
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export default Agent;
}
declare module 'undici/lib/dispatcher/proxy-agent.js' {
  import { ProxyAgent } from 'undici';
  export default ProxyAgent;
}
declare module 'undici/lib/dispatcher/dispatcher.js' {
  import { Dispatcher } from 'undici';
  export default Dispatcher;
}
declare module 'undici/lib/api/index.js' {
  /** request, stream, pipeline, upgrade, connect: the methods undici's index puts on Dispatcher.prototype. */
  const api: Record<string, unknown>;
  export default api;
}
declare module 'prom-client/lib/counter.js' {
  import { Counter } from 'prom-client';
  export default Counter;
}
declare module 'prom-client/lib/gauge.js' {
  import { Gauge } from 'prom-client';
  export default Gauge;
}
declare module 'prom-client/lib/histogram.js' {
  import { Histogram } from 'prom-client';
  export default Histogram;
}
declare module 'prom-client/lib/registry.js' {
  import { Registry } from 'prom-client';
  export default Registry;
}
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client';
  /** One of prom-client's default collectors: registers its metrics in the registry. */
  const collector: (registry: Registry) => void;
  export default collector;
}
