// Minimal panva/oidc-provider instance for the benchmark (adapted from the
// peer-measurement scripts).
// env: PORT (default 3000), JWK_FILE (private JWK whose "alg" is the id_token
// signing algorithm: RS256 by default, the same as plex-oidc).
// One confidential client (client_secret_basic), default in-memory adapter,
// findAccount returning one fixed user, devInteractions (built-in login and
// consent pages) so the code flow can be scripted with plain HTTP.
// Token output: opaque access token + id_token, no refresh token: the same
// work per code exchange as plex-oidc (one signature).
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 3000);
const jwk = JSON.parse(readFileSync(process.env.JWK_FILE, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;
const USER = { sub: 'user1', name: 'User One', email: 'user1@example.org' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret-0123456789abcdef0123456789',
    redirect_uris: ['http://127.0.0.1:9/cb'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: jwk.alg || 'RS256',
  }],
  jwks: { keys: [jwk] },
  async findAccount(ctx, id) {
    return { accountId: USER.sub, async claims() { return { ...USER }; } };
  },
  claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
  cookies: { keys: ['plex-oidc-bench-cookie-key-0123456789abcdef'] },
  features: { devInteractions: { enabled: true } },
  ttl: { AuthorizationCode: 600 },
});

provider.listen(port, '127.0.0.1', () => {
  process.stderr.write(`oidc-provider listening on ${issuer}\n`);
});
process.on('SIGTERM', () => process.exit(0));
