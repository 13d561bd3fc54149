// WebAuthn between the API's JSON (binary fields as base64url, as py_webauthn writes them) and
// the browser's navigator.credentials, which takes and gives ArrayBuffers.

export function base64urlToBuffer(value: string): ArrayBuffer {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((value.length + 3) % 4)
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i)
  return bytes.buffer
}

export function bufferToBase64url(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

type Json = Record<string, unknown>
type Descriptor = { id: string; type: string; transports?: string[] }

function descriptors(list: unknown): PublicKeyCredentialDescriptor[] {
  return ((list as Descriptor[] | undefined) ?? []).map((d) => ({
    ...d,
    type: 'public-key',
    id: base64urlToBuffer(d.id),
    transports: d.transports as AuthenticatorTransport[] | undefined,
  }))
}

/** PublicKeyCredentialCreationOptions from the API's registration options. */
export function creationOptions(options: Json): PublicKeyCredentialCreationOptions {
  const user = options.user as { id: string; name: string; displayName: string }
  return {
    ...(options as unknown as PublicKeyCredentialCreationOptions),
    challenge: base64urlToBuffer(options.challenge as string),
    user: { ...user, id: base64urlToBuffer(user.id) },
    excludeCredentials: descriptors(options.excludeCredentials),
  }
}

/** PublicKeyCredentialRequestOptions from the API's authentication options. */
export function requestOptions(options: Json): PublicKeyCredentialRequestOptions {
  return {
    ...(options as unknown as PublicKeyCredentialRequestOptions),
    challenge: base64urlToBuffer(options.challenge as string),
    allowCredentials: descriptors(options.allowCredentials),
  }
}

/** A created or asserted credential as the JSON the API verifies. */
export function credentialToJson(credential: PublicKeyCredential): Json {
  const response = credential.response as AuthenticatorAttestationResponse & AuthenticatorAssertionResponse
  const body: Json = { clientDataJSON: bufferToBase64url(response.clientDataJSON) }
  if ('attestationObject' in response && response.attestationObject) {
    body.attestationObject = bufferToBase64url(response.attestationObject)
    body.transports = typeof response.getTransports === 'function' ? response.getTransports() : []
  }
  if ('authenticatorData' in response && response.authenticatorData) {
    body.authenticatorData = bufferToBase64url(response.authenticatorData)
    body.signature = bufferToBase64url(response.signature)
    body.userHandle = response.userHandle ? bufferToBase64url(response.userHandle) : null
  }
  return {
    id: credential.id,
    rawId: bufferToBase64url(credential.rawId),
    type: credential.type,
    response: body,
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
  }
}

export function webauthnAvailable(): boolean {
  return typeof window !== 'undefined' && typeof window.PublicKeyCredential === 'function' && !!navigator.credentials
}

/** Ask the browser for a new credential (a security key touch, a passkey prompt). */
export async function createCredential(options: Json): Promise<Json> {
  const credential = (await navigator.credentials.create({ publicKey: creationOptions(options) })) as PublicKeyCredential | null
  if (!credential) throw new Error('No security key answered.')
  return credentialToJson(credential)
}

/** Ask the browser to sign the server's challenge with a registered credential. */
export async function getAssertion(options: Json): Promise<Json> {
  const credential = (await navigator.credentials.get({ publicKey: requestOptions(options) })) as PublicKeyCredential | null
  if (!credential) throw new Error('No security key answered.')
  return credentialToJson(credential)
}
