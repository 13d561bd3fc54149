// WebAuthn JSON <-> ArrayBuffer conversions the browser calls need.
import { describe, expect, it } from 'vitest'

import { base64urlToBuffer, bufferToBase64url, creationOptions, credentialToJson, requestOptions } from '@/utils/webauthn'

const bytes = (buffer: ArrayBuffer | BufferSource) => Array.from(new Uint8Array(buffer as ArrayBuffer))

describe('webauthn utils', () => {
  it('round-trips base64url without padding, with - and _', () => {
    const raw = new Uint8Array([251, 255, 191, 0, 1])
    const text = bufferToBase64url(raw)

    expect(text).toBe('-_-_AAE')
    expect(bytes(base64urlToBuffer(text))).toEqual([251, 255, 191, 0, 1])
  })

  it('turns registration options into ArrayBuffers for navigator.credentials.create', () => {
    const options = creationOptions({
      challenge: 'AQID',
      rp: { id: 'localhost', name: 'SecuLite' },
      user: { id: 'BAU', name: 'alice', displayName: 'alice' },
      excludeCredentials: [{ id: 'Bgc', type: 'public-key', transports: ['usb'] }],
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    })

    expect(bytes(options.challenge)).toEqual([1, 2, 3])
    expect(bytes(options.user.id)).toEqual([4, 5])
    expect(bytes(options.excludeCredentials![0].id)).toEqual([6, 7])
    expect(options.excludeCredentials![0].transports).toEqual(['usb'])
    expect(options.rp.id).toBe('localhost')
  })

  it('turns authentication options into ArrayBuffers', () => {
    const options = requestOptions({ challenge: 'CQo', allowCredentials: [{ id: 'Cw', type: 'public-key' }] })

    expect(bytes(options.challenge)).toEqual([9, 10])
    expect(bytes(options.allowCredentials![0].id)).toEqual([11])
  })

  it('writes an assertion as the JSON the API verifies', () => {
    const buffer = (values: number[]) => new Uint8Array(values).buffer
    const credential = {
      id: 'DA',
      rawId: buffer([12]),
      type: 'public-key',
      response: { clientDataJSON: buffer([1]), authenticatorData: buffer([2]), signature: buffer([3]), userHandle: null },
      getClientExtensionResults: () => ({}),
    } as unknown as PublicKeyCredential

    expect(credentialToJson(credential)).toEqual({
      id: 'DA',
      rawId: 'DA',
      type: 'public-key',
      response: { clientDataJSON: 'AQ', authenticatorData: 'Ag', signature: 'Aw', userHandle: null },
      clientExtensionResults: {},
    })
  })
})
