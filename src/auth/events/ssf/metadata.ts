import { POLL_METHOD, PUSH_METHOD } from './streams';

/** The transmitter's endpoints, each a URL under the service's public origin. */
export interface TransmitterEndpoints {
  issuer: string;
  jwksUri: string;
  configuration: string;
  status: string;
  addSubject: string;
  removeSubject: string;
  verification: string;
}

/**
 * The Transmitter Configuration Metadata (SSF 1.0 §7.1) served at /.well-known/ssf-configuration,
 * with what the CAEP interoperability profile requires (spec_version, delivery methods, jwks_uri,
 * the configuration, status and verification endpoints, OAuth as the authorization scheme).
 */
export function transmitterMetadata(endpoints: TransmitterEndpoints): Record<string, unknown> {
  return {
    spec_version: '1_0',
    issuer: endpoints.issuer,
    jwks_uri: endpoints.jwksUri,
    delivery_methods_supported: [PUSH_METHOD, POLL_METHOD],
    configuration_endpoint: endpoints.configuration,
    status_endpoint: endpoints.status,
    add_subject_endpoint: endpoints.addSubject,
    remove_subject_endpoint: endpoints.removeSubject,
    verification_endpoint: endpoints.verification,
    authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
    default_subjects: 'ALL',
  };
}

/** Where the metadata is served: /.well-known/ssf-configuration, followed by the issuer's path if it has one (§7.2). */
export function metadataPath(issuer: string): string {
  const path = new URL(issuer).pathname.replace(/\/+$/, '');
  return `/.well-known/ssf-configuration${path}`;
}
