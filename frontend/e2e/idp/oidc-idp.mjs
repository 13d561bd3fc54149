// A real OpenID Connect provider on loopback for the SSO tests (pytest and Playwright):
// `oidc-provider` (the certified Node.js implementation) with a login page that checks
// passwords, accounts with groups and email_verified, and test-only switches.
//
//   node oidc-idp.mjs <config.json>
//
// config: { port, issuer?, admin_token, clients: [{client_id, client_secret, redirect_uris}],
//           accounts: [{sub, username, password, email, email_verified, groups, name}] }
// Prints "READY <issuer>" on stdout when it listens.
//
// Test-only admin endpoints (need `Authorization: Bearer <admin_token>`):
//   POST /_admin/account   {sub, ...fields}   replace fields of one account (e.g. its groups)
//   POST /_admin/tamper    {mode}             how the next ID tokens misbehave:
//        "" (honest), "signature" (payload changed after signing), "audience", "issuer",
//        "nonce" (each re-signed with the provider's real key, one claim wrong)
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { generateKeyPairSync, createSign } from 'node:crypto'

import Provider from 'oidc-provider'

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const port = Number(config.port)
const issuer = config.issuer ?? `http://127.0.0.1:${port}`
const accounts = new Map(config.accounts.map((a) => [a.sub, { ...a }]))
let tamperMode = ''

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' }

function findAccountByLogin(login) {
  for (const account of accounts.values()) {
    if (account.username === login || account.email === login) return account
  }
  return undefined
}

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  })),
  jwks: { keys: [signingJwk] },
  pkce: { required: () => true, methods: ['S256'] },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // Claims in the ID token too (as Okta/Keycloak can be set to), so the groups claim is there.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['seculite-test-idp-cookie-key'] },
  ttl: { Session: 600, Interaction: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  findAccount: async (_ctx, sub) => {
    const account = accounts.get(sub)
    if (!account) return undefined
    return {
      accountId: sub,
      claims: async () => ({
        sub,
        name: account.name ?? account.username,
        preferred_username: account.username,
        email: account.email,
        email_verified: Boolean(account.email_verified),
        groups: account.groups ?? [],
      }),
    }
  },
  loadExistingGrant: async (ctx) => {
    // First-party test clients: consent is granted on sign-in, for every requested scope.
    const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId)
    if (grantId) return ctx.oidc.provider.Grant.find(grantId)
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId })
    grant.addOIDCScope('openid profile email groups')
    grant.addOIDCClaims(['groups', 'email', 'email_verified', 'preferred_username', 'name'])
    await grant.save()
    return grant
  },
})
provider.proxy = false

function b64url(buffer) {
  return Buffer.from(buffer).toString('base64url')
}

function sign(header, payload) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  const signature = createSign('RSA-SHA256').update(input).sign(privateKey)
  return `${input}.${b64url(signature)}`
}

/** The token endpoint's answer, changed the way the current tamper mode says. */
function tamperIdToken(idToken) {
  const [headerPart, payloadPart, signaturePart] = idToken.split('.')
  const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString())
  const payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString())
  if (tamperMode === 'signature') {
    payload.email = 'attacker@evil.test'
    return `${headerPart}.${b64url(JSON.stringify(payload))}.${signaturePart}`
  }
  if (tamperMode === 'audience') payload.aud = 'some-other-client'
  if (tamperMode === 'issuer') payload.iss = 'http://127.0.0.1:1/other-issuer'
  if (tamperMode === 'nonce') payload.nonce = 'not-the-nonce-you-sent'
  return sign(header, payload)
}

provider.use(async (ctx, next) => {
  await next()
  if (tamperMode && ctx.path === '/token' && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: tamperIdToken(ctx.body.id_token) }
  }
})

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function loginPage(uid, error) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test IdP sign-in</title></head>
<body><h1>Test identity provider</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Username <input name="login" autocomplete="username" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in to the IdP</button></form></body></html>`
}

async function readForm(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return new URLSearchParams(Buffer.concat(chunks).toString())
}

async function readJson(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return JSON.parse(Buffer.concat(chunks).toString() || '{}')
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'content-type': type })
  res.end(body)
}

const callback = provider.callback()

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer)
    if (url.pathname.startsWith('/_admin/')) {
      if (req.headers.authorization !== `Bearer ${config.admin_token}`) return send(res, 403, 'forbidden', 'text/plain')
      const body = await readJson(req)
      if (url.pathname === '/_admin/account') {
        const account = accounts.get(body.sub)
        if (!account) return send(res, 404, 'no such account', 'text/plain')
        Object.assign(account, body)
      } else if (url.pathname === '/_admin/tamper') {
        tamperMode = String(body.mode ?? '')
      } else {
        return send(res, 404, 'not found', 'text/plain')
      }
      return send(res, 200, '{"ok":true}', 'application/json')
    }
    const match = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/)
    if (match) {
      const details = await provider.interactionDetails(req, res)
      if (details.prompt.name === 'consent') {
        const grant = new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id })
        grant.addOIDCScope(String(details.params.scope))
        grant.addOIDCClaims(['groups', 'email', 'email_verified', 'preferred_username', 'name'])
        const grantId = await grant.save()
        return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
      }
      if (req.method === 'GET') return send(res, 200, loginPage(match[1]))
      const form = await readForm(req)
      const account = findAccountByLogin(form.get('login') ?? '')
      if (!account || account.password !== form.get('password')) {
        return send(res, 200, loginPage(match[1], 'Wrong username or password.'))
      }
      return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false })
    }
    return callback(req, res)
  } catch (err) {
    console.error(err)
    if (!res.headersSent) send(res, 500, String(err), 'text/plain')
  }
})

server.listen(port, '127.0.0.1', () => {
  console.log(`READY ${issuer}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
