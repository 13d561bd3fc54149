// A real SAML 2.0 identity provider on loopback for the SSO tests: `samlify` (npm) builds and
// signs the responses (XML-DSig, RSA-SHA256), with a login page that checks passwords.
// (saml-idp from npm does not install here: it depends on a GitHub tarball of node-samlp.)
//
//   node saml-idp.mjs <config.json>
//
// config: { port, entity_id?, private_key (PEM), certificate (PEM), admin_token,
//           sp: {entity_id, acs_url},
//           accounts: [{username, password, email, groups, name}] }
// Prints "READY <base url>" on stdout when it listens.
//
// Test-only admin endpoints (need `Authorization: Bearer <admin_token>`):
//   POST /_admin/account  {username, ...fields}  replace fields of one account
//   POST /_admin/tamper   {mode}  "" (honest), "assertion" (assertion changed after signing),
//        "unsigned" (only the Response is signed, not the assertion), "audience" (another SP's
//        audience), "recipient" (another ACS URL), each signed with the IdP's real key.
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const saml = require('samlify')

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const port = Number(config.port)
const baseUrl = `http://127.0.0.1:${port}`
const entityId = config.entity_id ?? `${baseUrl}/metadata`
const accounts = new Map(config.accounts.map((a) => [a.username, { ...a }]))
const pending = new Map()
let tamperMode = ''

// The IdP side parses our AuthnRequest only to answer it (InResponseTo); checking its XML
// schema is the SP's business, not this test IdP's.
saml.setSchemaValidator({ validate: async () => 'skipped' })

const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'

const idp = saml.IdentityProvider({
  entityID: entityId,
  privateKey: config.private_key,
  signingCert: config.certificate,
  nameIDFormat: [NAMEID_EMAIL],
  wantAuthnRequestsSigned: false,
  singleSignOnService: [
    { Binding: REDIRECT, Location: `${baseUrl}/sso` },
    { Binding: POST, Location: `${baseUrl}/sso` },
  ],
  requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
})

function serviceProvider(wantAssertionsSigned) {
  return saml.ServiceProvider({
    entityID: config.sp.entity_id,
    wantAssertionsSigned,
    wantMessageSigned: !wantAssertionsSigned,
    assertionConsumerService: [{ Binding: POST, Location: config.sp.acs_url }],
  })
}

function escapeXml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c])
}

function attribute(name, values) {
  const items = values.map((v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`).join('')
  return `<saml:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${items}</saml:Attribute>`
}

/** The response template filled in for one account, with the tamper mode's wrong value. */
function responseXml(account, inResponseTo) {
  const now = new Date()
  const later = new Date(now.getTime() + 5 * 60 * 1000).toISOString()
  const id = `_${randomBytes(16).toString('hex')}`
  const acs = config.sp.acs_url
  const audience = tamperMode === 'audience' ? 'https://another-sp.example/metadata/' : config.sp.entity_id
  const recipient = tamperMode === 'recipient' ? 'https://another-sp.example/acs/' : acs
  const attributes = [
    attribute('email', [account.email]),
    attribute('groups', account.groups ?? []),
    attribute('first_name', [account.name ?? account.username]),
  ].join('')
  const values = {
    ID: id,
    AssertionID: `_${randomBytes(16).toString('hex')}`,
    Destination: acs,
    Audience: audience,
    SubjectRecipient: recipient,
    Issuer: entityId,
    IssueInstant: now.toISOString(),
    StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
    ConditionsNotBefore: now.toISOString(),
    ConditionsNotOnOrAfter: later,
    SubjectConfirmationDataNotOnOrAfter: later,
    NameIDFormat: NAMEID_EMAIL,
    NameID: account.email,
    InResponseTo: inResponseTo,
    AuthnStatement: `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
    AttributeStatement: `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`,
  }
  // The statements are XML already; every other value is escaped text.
  const xmlTags = new Set(['AuthnStatement', 'AttributeStatement'])
  const fill = (template) =>
    template.replace(/\{(\w+)\}/g, (whole, tag) => (tag in values ? (xmlTags.has(tag) ? values[tag] : escapeXml(values[tag])) : whole))
  return (template) => ({ id, context: fill(template) })
}

async function loginResponse(account, request) {
  const sp = serviceProvider(tamperMode !== 'unsigned')
  const { context } = await idp.createLoginResponse(
    sp,
    { extract: { request: { id: request.id } } },
    'post',
    { email: account.email },
    responseXml(account, request.id),
  )
  if (tamperMode !== 'assertion') return context
  const xml = Buffer.from(context, 'base64').toString()
  return Buffer.from(xml.replace(`>${escapeXml(account.email)}<`, '>attacker@evil.test<')).toString('base64')
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'content-type': type })
  res.end(body)
}

function loginPage(uid, error) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Test SAML IdP sign-in</title></head>
<body><h1>Test SAML identity provider</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/sso/login/${escapeHtml(uid)}">
<label>Username <input name="username" autocomplete="username" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in to the IdP</button></form></body></html>`
}

function autoPostPage(action, samlResponse, relayState) {
  return `<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="SAMLResponse" value="${escapeHtml(samlResponse)}">
<input type="hidden" name="RelayState" value="${escapeHtml(relayState ?? '')}">
<noscript><button type="submit">Continue</button></noscript></form></body></html>`
}

async function readBody(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return Buffer.concat(chunks).toString()
}

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, baseUrl)
    if (url.pathname.startsWith('/_admin/')) {
      if (req.headers.authorization !== `Bearer ${config.admin_token}`) return send(res, 403, 'forbidden', 'text/plain')
      const body = JSON.parse((await readBody(req)) || '{}')
      if (url.pathname === '/_admin/account') {
        const account = accounts.get(body.username)
        if (!account) return send(res, 404, 'no such account', 'text/plain')
        Object.assign(account, body)
      } else if (url.pathname === '/_admin/tamper') {
        tamperMode = String(body.mode ?? '')
      } else {
        return send(res, 404, 'not found', 'text/plain')
      }
      return send(res, 200, '{"ok":true}', 'application/json')
    }
    if (url.pathname === '/metadata') return send(res, 200, idp.getMetadata(), 'application/xml')
    if (url.pathname === '/sso' && req.method === 'GET') {
      const parsed = await idp.parseLoginRequest(serviceProvider(true), 'redirect', { query: Object.fromEntries(url.searchParams), octetString: '' })
      const uid = randomBytes(12).toString('hex')
      pending.set(uid, { id: parsed.extract.request.id, relayState: url.searchParams.get('RelayState') })
      return send(res, 200, loginPage(uid))
    }
    const match = url.pathname.match(/^\/sso\/login\/([0-9a-f]+)$/)
    if (match && req.method === 'POST') {
      const request = pending.get(match[1])
      if (!request) return send(res, 400, 'unknown or used sign-in request', 'text/plain')
      const form = new URLSearchParams(await readBody(req))
      const account = accounts.get(form.get('username') ?? '')
      if (!account || account.password !== form.get('password')) {
        return send(res, 200, loginPage(match[1], 'Wrong username or password.'))
      }
      pending.delete(match[1])
      const samlResponse = await loginResponse(account, request)
      return send(res, 200, autoPostPage(config.sp.acs_url, samlResponse, request.relayState))
    }
    return send(res, 404, 'not found', 'text/plain')
  } catch (err) {
    console.error(err)
    if (!res.headersSent) send(res, 500, String(err), 'text/plain')
  }
})

server.listen(port, '127.0.0.1', () => {
  console.log(`READY ${baseUrl}`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
