import ipaddr from 'ipaddr.js';

/**
 * The coarse "device" of a sign-in for the new-device notice (issue 30): the browser family and
 * the operating system read from the User-Agent, never its versions (a browser update is not a
 * new device). Unknown agents are one family, "an unknown browser".
 */
export function deviceFamily(userAgent: string | null | undefined): { browser: string; os: string } {
  const ua = userAgent ?? '';
  const browser =
    /Edg(e|A|iOS)?\//.test(ua) ? 'Edge'
    : /OPR\/|Opera/.test(ua) ? 'Opera'
    : /Firefox\/|FxiOS\//.test(ua) ? 'Firefox'
    : /Chrome\/|CriOS\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari'
    : /okhttp|Expo|CFNetwork|Dalvik/.test(ua) ? 'the Cat House app'
    : 'an unknown browser';
  const os =
    /iPhone|iPad|iOS|CFNetwork/.test(ua) ? 'iOS'
    : /Android|Dalvik/.test(ua) ? 'Android'
    : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /CrOS/.test(ua) ? 'ChromeOS'
    : /Linux/.test(ua) ? 'Linux'
    : 'an unknown system';
  return { browser, os };
}

/** The network of an address: its /24 for IPv4, its /48 for IPv6 (a home or office, not one device's address). */
export function networkOf(ip: string | null | undefined): string | null {
  if (!ip || !ipaddr.isValid(ip)) return null;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const bits = addr.kind() === 'ipv4' ? 24 : 48;
  const bytes = addr.toByteArray().slice(0, bits / 8);
  return `${addr.kind()}:${bytes.join('.')}/${bits}`;
}
