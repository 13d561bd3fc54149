// Report imports: the multipart body, and the upload through the one client (CSRF, progress,
// the API's error format, session expiry, cancelling).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { ApiError, onUnauthorized } from '@/api/client'
import { importFormData, importReport } from '@/api/imports'

/** A stand-in XMLHttpRequest: records what is sent, answers when the test says so. */
class FakeXhr {
  static last: FakeXhr
  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: unknown = null
  status = 0
  statusText = ''
  responseText = ''
  responseHeaders = ''
  upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  constructor() {
    FakeXhr.last = this
  }
  open(method: string, url: string) {
    this.method = method
    this.url = url
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value
  }
  send(body: unknown) {
    this.body = body
  }
  abort() {
    this.onabort?.()
  }
  getAllResponseHeaders() {
    return this.responseHeaders
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true } as ProgressEvent)
  }
  answer(status: number, body: unknown, headers = 'content-type: application/json\r\n') {
    this.status = status
    this.responseText = JSON.stringify(body)
    this.responseHeaders = headers
    this.onload?.()
  }
}

const report = () => new File(['{"results": []}'], 'semgrep.json', { type: 'application/json' })

beforeEach(() => {
  vi.stubGlobal('XMLHttpRequest', FakeXhr)
  document.cookie = 'csrftoken=tok%2B123; path=/'
})
afterEach(() => {
  vi.unstubAllGlobals()
  onUnauthorized(null)
  document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
})

describe('importFormData', () => {
  it('sends an existing target by id, and the optional fields trimmed', () => {
    const body = importFormData({ file: report(), format: 'semgrep', target: { kind: 'existing', id: 4 }, ref: ' feature/x ', commit: 'abc1234', toolVersion: '' })
    expect((body.get('file') as File).name).toBe('semgrep.json')
    expect(body.get('format')).toBe('semgrep')
    expect(body.get('target')).toBe('4')
    expect(body.get('target_name')).toBeNull()
    expect(body.get('ref')).toBe('feature/x')
    expect(body.get('commit')).toBe('abc1234')
    expect(body.has('tool_version')).toBe(false)
  })

  it('sends a new target by name and type, with its identifier only when given', () => {
    const body = importFormData({ file: report(), format: 'generic', target: { kind: 'new', name: ' api ', type: 'url', identifier: '' } })
    expect(body.get('target')).toBeNull()
    expect(body.get('target_name')).toBe('api')
    expect(body.get('target_type')).toBe('url')
    expect(body.has('target_identifier')).toBe(false)
    expect(body.has('ref')).toBe(false)
  })
})

describe('importReport', () => {
  it('posts multipart with the CSRF token, reports progress and resolves to the scan on 202', async () => {
    const progress = vi.fn()
    const done = importReport(3, { file: report(), format: 'semgrep', target: { kind: 'existing', id: 4 } }, { onProgress: progress })
    const xhr = FakeXhr.last
    expect(xhr.method).toBe('POST')
    expect(xhr.url).toBe('/api/v1/projects/3/imports/')
    expect(xhr.headers['X-CSRFToken']).toBe('tok+123')
    expect(xhr.headers['Content-Type']).toBeUndefined() // the browser sets the multipart boundary
    expect(xhr.body).toBeInstanceOf(FormData)
    xhr.progress(5, 10)
    xhr.progress(10, 10)
    expect(progress.mock.calls).toEqual([[5, 10], [10, 10]])
    xhr.answer(202, { id: 77, trigger: 'import', status: 'queued' }, 'content-type: application/json\r\nlocation: /api/v1/scans/77/\r\n')
    await expect(done).resolves.toMatchObject({ id: 77, trigger: 'import' })
  })

  it('turns the API error format into an ApiError with its field errors', async () => {
    const done = importReport(3, { file: report(), format: 'semgrep', target: { kind: 'existing', id: 4 }, commit: 'zz' })
    FakeXhr.last.answer(400, { error: { status: 400, code: 'invalid', message: 'Check the fields.', fields: { commit: ['Enter 7 to 64 hexadecimal digits.'] } } })
    const error = await done.catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(400)
    expect((error as ApiError).fieldError('commit')).toBe('Enter 7 to 64 hexadecimal digits.')
  })

  it('sends the user to sign-in when the session has expired', async () => {
    const handler = vi.fn()
    onUnauthorized(handler)
    const done = importReport(3, { file: report(), format: 'semgrep', target: { kind: 'existing', id: 4 } })
    FakeXhr.last.answer(401, { error: { status: 401, code: 'not_authenticated', message: 'Sign in.' } })
    await expect(done).rejects.toBeInstanceOf(ApiError)
    expect(handler).toHaveBeenCalledOnce()
  })

  it('says so when the server cannot be reached, and stops when cancelled', async () => {
    const failed = importReport(3, { file: report(), format: 'semgrep', target: { kind: 'existing', id: 4 } })
    FakeXhr.last.onerror?.()
    await expect(failed).rejects.toMatchObject({ status: 0, message: 'Cannot reach the server. Check your connection.' })

    const controller = new AbortController()
    const cancelled = importReport(3, { file: report(), format: 'semgrep', target: { kind: 'existing', id: 4 } }, { signal: controller.signal })
    controller.abort()
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' })
  })
})
