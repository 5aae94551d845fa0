// Types for the undici modules src/http.ts loads directly (undici types only its index).
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
