// Generates the one signing key both peers use, as a private JWK.
// usage: node genkey.mjs OUTFILE [RS256|ES256]
// RS256 (RSA-2048, the default) is what plex-oidc signs with, so every
// provider does the same signature per id_token.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const alg = process.argv[3] || 'RS256';
const { privateKey } = alg === 'ES256'
  ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `bench-${alg.toLowerCase()}`, alg, use: 'sig' };
writeFileSync(process.argv[2], JSON.stringify(jwk) + '\n', { mode: 0o600 });
