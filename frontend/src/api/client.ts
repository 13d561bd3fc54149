// The one HTTP client: same-origin fetch with the session cookie, CSRF on writes, the API's
// error format turned into ApiError (with field errors), and session expiry sent to sign-in.

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

async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await response.json()
  } catch {
    // Not JSON: a proxy's error page, an empty body.
  }
  const error = (body as { error?: Partial<ApiError> & { fields?: FieldErrors } } | null)?.error
  if (error && typeof error === 'object') {
    return new ApiError(
      error.status ?? response.status,
      error.code ?? 'error',
      error.message ?? response.statusText,
      error.fields ?? {},
    )
  }
  const fallback =
    response.status >= 500
      ? 'The server had a problem. Try again in a moment.'
      : response.statusText || `Request failed (${response.status}).`
  return new ApiError(response.status, response.status >= 500 ? 'server_error' : 'error', fallback)
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
  if (!SAFE_METHODS.has(upper)) {
    const token = csrfToken()
    if (token) headers['X-CSRFToken'] = token
  }
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

/** A readable message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error) return error.message
  return 'Something went wrong.'
}
