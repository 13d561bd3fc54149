// How a documentation link reads in a list: its site and the page's name, not the whole URL.

/** "https://eslint.org/docs/latest/rules/no-eval" → "eslint.org: no-eval". */
export function linkLabel(url: string): string {
  try {
    const parsed = new URL(url)
    const host = parsed.hostname.replace(/^www\./, '')
    const segments = parsed.pathname.split('/').filter(Boolean)
    const page = decodeURIComponent(segments.at(-1) ?? '').replace(/\.(md|html?|py)$/, '')
    const anchor = parsed.hash ? decodeURIComponent(parsed.hash.slice(1)) : ''
    const name = [page, anchor].filter(Boolean).join(' § ')
    return name ? `${host}: ${name}` : host
  } catch {
    return url
  }
}
