import type * as OAuth from 'oauth4webapi' with { 'resolution-mode': 'import' };
import { apiUrl, CLIENT_ID, USER_AGENT } from './api';
import { CliError } from './errors';

/**
 * The device authorization grant (RFC 8628) through oauth4webapi, a strict, certified-grade OAuth
 * client: it checks the server's answers, and this file keeps only the polling policy (the
 * interval, +5 s on slow_down, stop on access_denied and expired_token).
 */
// oauth4webapi ships ES modules only; Node ≥ 20.19 loads them from CommonJS with require().
// eslint-disable-next-line @typescript-eslint/no-require-imports
const oauth = require('oauth4webapi') as typeof OAuth;

export interface DeviceCodes {
  userCode: string;
  verificationUri: string;
  verificationUriComplete: string | undefined;
  expiresIn: number;
}

export interface DeviceTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

function endpoints(server: string): OAuth.AuthorizationServer {
  return { issuer: server, device_authorization_endpoint: apiUrl(server, '/device_authorization'), token_endpoint: apiUrl(server, '/token') };
}

const client: OAuth.Client = { client_id: CLIENT_ID };

function options(server: string) {
  // Plain http only to the loopback address (serverUrl refuses it elsewhere).
  return { [oauth.allowInsecureRequests]: server.startsWith('http://'), headers: { 'user-agent': USER_AGENT } };
}

/** Asks for codes, lets `show` print them, then polls until the person decides. */
export async function deviceLogin(server: string, show: (codes: DeviceCodes) => void, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<DeviceTokens> {
  const as = endpoints(server);
  let codes: OAuth.DeviceAuthorizationResponse;
  try {
    const res = await oauth.deviceAuthorizationRequest(as, client, oauth.None(), {}, options(server));
    codes = await oauth.processDeviceAuthorizationResponse(as, client, res);
  } catch (err) {
    throw protocolError(err, server);
  }
  show({ userCode: codes.user_code, verificationUri: codes.verification_uri, verificationUriComplete: codes.verification_uri_complete, expiresIn: codes.expires_in });
  let interval = (codes.interval ?? 5) * 1000;
  const deadline = Date.now() + codes.expires_in * 1000;
  for (;;) {
    await sleep(interval);
    try {
      const res = await oauth.deviceCodeGrantRequest(as, client, oauth.None(), codes.device_code, options(server));
      const tokens = await oauth.processDeviceCodeResponse(as, client, res);
      if (!tokens.refresh_token) throw new CliError('the server answered without a refresh token: is this a Cat House auth service?');
      return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn: tokens.expires_in ?? 0 };
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError) {
        if (err.error === 'authorization_pending' && Date.now() < deadline) continue;
        // RFC 8628 §3.5: slow down by 5 seconds, for this and every later poll.
        if (err.error === 'slow_down') {
          interval += 5_000;
          continue;
        }
        if (err.error === 'access_denied') throw new CliError('the login was denied in the browser; run cathouse login again if that was a mistake', 1, 'access_denied');
        if (err.error === 'expired_token' || err.error === 'authorization_pending') {
          throw new CliError('the code expired before it was approved; run cathouse login again', 1, 'expired_token');
        }
      }
      throw protocolError(err, server);
    }
  }
}

function protocolError(err: unknown, server: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof oauth.ResponseBodyError) {
    return new CliError(`${err.error_description ?? 'the server refused the login'} (${err.error})`, 1, err.error);
  }
  return new CliError(`device login with ${server} failed: ${(err as Error).message}`);
}
