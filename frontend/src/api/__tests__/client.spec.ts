// The HTTP client: CSRF on writes, the error format with field errors, 401 handling, 304.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { ApiError, buildQuery, csrfToken, http, onUnauthorized, requestRaw } from '@/api/client'

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

const fetchMock = vi.fn()

beforeEach(() => {
  fetchMock.mockReset()
  vi.stubGlobal('fetch', fetchMock)
  document.cookie = 'csrftoken=tok%2B123; path=/'
})
afterEach(() => {
  vi.unstubAllGlobals()
  onUnauthorized(null)
  document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'
})

describe('csrfToken', () => {
  it('reads the csrftoken cookie among others', () => {
    expect(csrfToken('sessionid=abc; csrftoken=xyz%3D; other=1')).toBe('xyz=')
    expect(csrfToken('sessionid=abc')).toBeNull()
  })
})

describe('buildQuery', () => {
  it('joins arrays with commas and drops empty values', () => {
    expect(buildQuery({ severity: ['high', 'critical'], status: '', page: 2, x: undefined, y: null })).toBe(
      '?severity=high%2Ccritical&page=2',
    )
    expect(buildQuery({})).toBe('')
  })
})

describe('requests', () => {
  it('sends X-CSRFToken and JSON on writes, same-origin credentials', async () => {
    fetchMock.mockResolvedValue(jsonResponse(201, { id: 1 }))

    await http.post('/projects/', { name: 'A' })

    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe('/api/v1/projects/')
    expect(init.method).toBe('POST')
    expect(init.credentials).toBe('same-origin')
    expect(init.headers['X-CSRFToken']).toBe('tok+123')
    expect(init.headers['Content-Type']).toBe('application/json')
    expect(init.body).toBe('{"name":"A"}')
  })

  it('sends no CSRF header on reads and adds the query', async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, { results: [] }))

    await http.get('/findings/', { severity: ['high'], page: 1 })

    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe('/api/v1/findings/?severity=high&page=1')
    expect(init.headers['X-CSRFToken']).toBeUndefined()
  })

  it('leaves multipart bodies to the browser', async () => {
    fetchMock.mockResolvedValue(jsonResponse(201, { id: 2 }))
    const body = new FormData()
    body.set('name', 'upload')

    await http.post('/projects/1/targets/', body)

    const init = fetchMock.mock.calls[0][1]
    expect(init.body).toBe(body)
    expect(init.headers['Content-Type']).toBeUndefined()
    expect(init.headers['X-CSRFToken']).toBe('tok+123')
  })

  it('turns the API error format into an ApiError with field errors', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(400, {
        error: { status: 400, code: 'invalid', message: 'Some fields are invalid.', fields: { name: ['Required.'], 'tools.0.overrides.level': ['Bad.'] } },
      }),
    )

    const error = await http.post('/projects/', {}).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ApiError)
    const apiError = error as ApiError
    expect(apiError.status).toBe(400)
    expect(apiError.code).toBe('invalid')
    expect(apiError.message).toBe('Some fields are invalid.')
    expect(apiError.fieldError('name')).toBe('Required.')
    expect(apiError.fieldError('tools.0.overrides.level')).toBe('Bad.')
  })

  it('reports a server error without a JSON body', async () => {
    fetchMock.mockResolvedValue(new Response('<html>Bad gateway</html>', { status: 502 }))

    const error = (await http.get('/x/').catch((e: unknown) => e)) as ApiError

    expect(error.status).toBe(502)
    expect(error.code).toBe('server_error')
  })

  it('reports a network failure as status 0', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'))

    const error = (await http.get('/x/').catch((e: unknown) => e)) as ApiError

    expect(error.status).toBe(0)
    expect(error.code).toBe('network')
  })

  it('calls the unauthorized handler on 401, unless told not to', async () => {
    const handler = vi.fn()
    onUnauthorized(handler)
    const unauthorized = { error: { status: 401, code: 'not_authenticated', message: 'Sign in.' } }
    fetchMock.mockImplementation(async () => jsonResponse(401, unauthorized))

    await expect(http.get('/projects/')).rejects.toMatchObject({ status: 401, code: 'not_authenticated' })
    expect(handler).toHaveBeenCalledTimes(1)

    await expect(http.get('/auth/me/', undefined, { ignoreUnauthorized: true })).rejects.toBeInstanceOf(ApiError)
    expect(handler).toHaveBeenCalledTimes(1)
  })

  it('returns 304 with no data and the ETag header', async () => {
    fetchMock.mockResolvedValue(new Response(null, { status: 304, headers: { ETag: 'W/"abc"' } }))

    const response = await requestRaw('GET', '/scans/1/status/', { headers: { 'If-None-Match': 'W/"abc"' } })

    expect(response.status).toBe(304)
    expect(response.data).toBeUndefined()
    expect(response.headers.get('ETag')).toBe('W/"abc"')
    expect(fetchMock.mock.calls[0][1].headers['If-None-Match']).toBe('W/"abc"')
  })

  it('returns nothing for 204', async () => {
    fetchMock.mockResolvedValue(new Response(null, { status: 204 }))
    await expect(http.delete('/projects/1/')).resolves.toBeUndefined()
  })
})
