import { ProxyRequestLog } from './proxy-request-log.entity';

export { ProxyRequestLog };
export { PROXY_SCHEMA } from './schema';

/** The entities the proxy service owns, for a DataSource's `entities`. */
export const proxyEntities = [ProxyRequestLog];
