// TOTP codes (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) from a base32 key, with Node's
// crypto: what an authenticator app computes from the key the enrolment page shows.
import { createHmac } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
export const STEP_SECONDS = 30

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase()
  let bits = 0
  let value = 0
  const out: number[] = []
  for (const char of clean) {
    const index = ALPHABET.indexOf(char)
    if (index < 0) throw new Error(`not base32: ${char}`)
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

export function currentStep(now = Date.now()): number {
  return Math.floor(now / 1000 / STEP_SECONDS)
}

export function totpAt(secret: string, step: number): string {
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(step))
  const digest = createHmac('sha1', base32Decode(secret)).update(counter).digest()
  const offset = digest[digest.length - 1] & 0x0f
  const binary = digest.readUInt32BE(offset) & 0x7fffffff
  return String(binary % 1_000_000).padStart(6, '0')
}

/** Wait until a step after `lastStep` (the server accepts each step's code once) and return
 * that step's code. */
export async function freshCode(secret: string, lastStep: number): Promise<{ code: string; step: number }> {
  let step = currentStep()
  while (step <= lastStep) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    step = currentStep()
  }
  return { code: totpAt(secret, step), step }
}
