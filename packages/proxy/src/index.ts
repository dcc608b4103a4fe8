import { ProxyRequestLog } from './proxy-request-log.entity';

export { ProxyRequestLog };

/** The entities the proxy service owns, for a DataSource's `entities`. */
export const proxyEntities = [ProxyRequestLog];
