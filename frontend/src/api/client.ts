// The one HTTP client: same-origin fetch with the session cookie, CSRF on writes, the API's
// error format turned into ApiError (with field errors), and session expiry sent to sign-in.
// Uploads that report their progress go through `upload` (XMLHttpRequest: fetch has no upload
// progress), with the same CSRF, error and session handling.

export const API_BASE = '/api/v1'

export type FieldErrors = Record<string, string[]>

/** An error answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly fields: FieldErrors

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields
  }

  /** The first message for `field` (dotted for nested fields), if any. */
  fieldError(field: string): string | undefined {
    return this.fields[field]?.[0]
  }
}

export type QueryValue = string | number | boolean | null | undefined | Array<string | number>
export type Query = Record<string, QueryValue>

export interface RequestOptions {
  query?: Query
  /** A JSON-serialisable body, or FormData for uploads. */
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Do not send the user to sign-in on 401 (the boot-time "who am I" call, sign-in itself). */
  ignoreUnauthorized?: boolean
}

export interface ApiResponse<T> {
  status: number
  data: T
  headers: Headers
}

type UnauthorizedHandler = () => void
let unauthorizedHandler: UnauthorizedHandler | null = null

/** Called once by the app: what to do when the session has expired (go to sign-in). */
export function onUnauthorized(handler: UnauthorizedHandler | null): void {
  unauthorizedHandler = handler
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Django's CSRF token, from the `csrftoken` cookie it sets (not HttpOnly by design). */
export function csrfToken(cookies: string = document.cookie): string | null {
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=')
    if (name === 'csrftoken') return decodeURIComponent(rest.join('='))
  }
  return null
}

/** `?a=1&b=x,y`: arrays are comma-joined (the API accepts both forms); empty values dropped. */
export function buildQuery(query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    if (Array.isArray(value)) {
      if (value.length) params.set(key, value.join(','))
    } else {
      params.set(key, String(value))
    }
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

/** The ApiError for an error answer: the API's `{"error": {…}}` body when there is one. */
function errorFromBody(status: number, statusText: string, body: unknown): ApiError {
  const error = (body as { error?: Partial<ApiError> & { fields?: FieldErrors } } | null)?.error
  if (error && typeof error === 'object') {
    return new ApiError(error.status ?? status, error.code ?? 'error', error.message ?? statusText, error.fields ?? {})
  }
  const fallback =
    status >= 500 ? 'The server had a problem. Try again in a moment.' : statusText || `Request failed (${status}).`
  return new ApiError(status, status >= 500 ? 'server_error' : 'error', fallback)
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await response.json()
  } catch {
    // Not JSON: a proxy's error page, an empty body.
  }
  return errorFromBody(response.status, response.statusText, body)
}

function writeHeaders(method: string, headers: Record<string, string>): Record<string, string> {
  if (!SAFE_METHODS.has(method)) {
    const token = csrfToken()
    if (token) headers['X-CSRFToken'] = token
  }
  return headers
}

/** Send a request and return status, parsed body and headers; throws ApiError otherwise. */
export async function requestRaw<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const upper = method.toUpperCase()
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
  let body: BodyInit | undefined
  if (options.body instanceof FormData) {
    body = options.body
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(options.body)
  }
  writeHeaders(upper, headers)
  const url = `${API_BASE}${path}${buildQuery(options.query)}`
  let response: Response
  try {
    response = await fetch(url, {
      method: upper,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    })
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.')
  }
  if (response.status === 304) {
    return { status: 304, data: undefined as T, headers: response.headers }
  }
  if (!response.ok) {
    const error = await errorFrom(response)
    if (response.status === 401 && !options.ignoreUnauthorized) unauthorizedHandler?.()
    throw error
  }
  let data: unknown = undefined
  if (response.status !== 204) {
    const type = response.headers.get('Content-Type') ?? ''
    data = type.includes('json') ? await response.json() : await response.text()
  }
  return { status: response.status, data: data as T, headers: response.headers }
}

export async function request<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
  return (await requestRaw<T>(method, path, options)).data
}

export const http = {
  get: <T>(path: string, query?: Query, options?: RequestOptions) =>
    request<T>('GET', path, { ...options, query }),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('POST', path, { ...options, body }),
  patch: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>('PATCH', path, { ...options, body }),
  delete: <T = void>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
}

export interface UploadOptions {
  /** Called as the body goes out: bytes sent and the total (0 when unknown). */
  onProgress?: (loaded: number, total: number) => void
  signal?: AbortSignal
}

/** POST (or `method`) a multipart body and report the upload's progress; resolves like
 * `requestRaw`, rejects with ApiError on an error answer or a network failure, and with an
 * AbortError when `signal` aborts. */
export function upload<T>(
  path: string,
  body: FormData,
  options: UploadOptions = {},
  method = 'POST',
): Promise<ApiResponse<T>> {
  const upper = method.toUpperCase()
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open(upper, `${API_BASE}${path}`)
    for (const [name, value] of Object.entries(writeHeaders(upper, { Accept: 'application/json' }))) {
      xhr.setRequestHeader(name, value)
    }
    xhr.upload.onprogress = (event: ProgressEvent) => {
      options.onProgress?.(event.loaded, event.lengthComputable ? event.total : 0)
    }
    const onAbort = () => xhr.abort()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const done = () => options.signal?.removeEventListener('abort', onAbort)
    xhr.onerror = () => {
      done()
      reject(new ApiError(0, 'network', 'Cannot reach the server. Check your connection.'))
    }
    xhr.onabort = () => {
      done()
      reject(new DOMException('The upload was cancelled.', 'AbortError'))
    }
    xhr.onload = () => {
      done()
      const headers = new Headers()
      for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
        const at = line.indexOf(':')
        if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim())
      }
      let data: unknown = xhr.responseText
      if ((headers.get('Content-Type') ?? '').includes('json') && xhr.responseText) {
        try {
          data = JSON.parse(xhr.responseText)
        } catch {
          data = null
        }
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve({ status: xhr.status, data: data as T, headers })
        return
      }
      if (xhr.status === 401) unauthorizedHandler?.()
      reject(errorFromBody(xhr.status, xhr.statusText, data))
    }
    if (options.signal?.aborted) {
      done()
      reject(new DOMException('The upload was cancelled.', 'AbortError'))
      return
    }
    xhr.send(body)
  })
}

/** A readable message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error) return error.message
  return 'Something went wrong.'
}
