// The one nonce helper for every webview's Content-Security-Policy (a fresh value per HTML load).
import { randomBytes } from 'crypto';

/** 128 random bits, base64 (valid in a CSP `'nonce-…'` source). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}
