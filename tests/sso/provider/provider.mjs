// A real OpenID Connect provider (panva/oidc-provider, the certified implementation) for the
// SSO tests, on loopback. Configured by one JSON file given as the only argument:
//   { "port": 0, "client": {client_id, client_secret, redirect_uris, post_logout_redirect_uris},
//     "jwks": {"keys": [private RSA JWKs]}, "accounts": {"alice": {name, email, groups}, ...} }
// Prints one JSON line {"issuer": "http://127.0.0.1:<port>"} on stdout once it listens.
// Key rotation: the test restarts it on the same port with a new key (new kid).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const conf = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const server = http.createServer();

function account(id) {
  const person = conf.accounts[id];
  if (!person) return undefined;
  return {
    accountId: id,
    async claims() {
      return { sub: id, name: person.name, email: person.email, groups: person.groups };
    },
  };
}

server.listen(conf.port || 0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      ...conf.client,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: conf.client.token_endpoint_auth_method || 'client_secret_basic',
    }],
    jwks: conf.jwks,
    cookies: { keys: ['lrs-test-provider-cookie-key'] },
    claims: {
      openid: ['sub'], profile: ['name'], email: ['email'], groups: ['groups'],
    },
    scopes: ['openid', 'profile', 'email', 'groups'],
    // Like Entra ID / Keycloak mappers: the groups go into the ID token itself.
    conformIdTokenClaims: false,
    findAccount: async (ctx, id) => account(id),
    // A first-party client: consent is implied, so the login page is the only interaction.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile email groups');
      await grant.save();
      return grant;
    },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  provider.on('end_session.error', (ctx, err) => console.error('end_session.error', err, err.cause));
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
