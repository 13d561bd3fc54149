// The findings list's filters, sort and page, kept in the URL's query, for the findings page
// and a project's findings tab alike: a view can be bookmarked, shared, saved by name and
// restored with the back button. The open/closed switch defaults to open (what the dashboard
// counts), so `state` is in the URL only when it is closed or all; the list is grouped by issue
// unless `view=flat`.
import { computed } from 'vue'
import { useRoute, useRouter, type LocationQuery } from 'vue-router'

import type { Query } from '@/api/client'

export const FILTER_KEYS = ['project', 'state', 'severity', 'status', 'tool', 'target', 'assignee', 'cwe', 'cve', 'rule_id', 'overdue', 'search', 'first_seen_after', 'first_seen_before', 'last_seen_after', 'last_seen_before', 'scan', 'on_default_branch'] as const
export type FilterKey = (typeof FILTER_KEYS)[number]
export const DEFAULT_STATE = 'open'
export const DEFAULT_ORDERING = '-severity_rank'
/** What a saved filter keeps: the filters and the sort, never a page. */
const SAVED_KEYS: readonly string[] = [...FILTER_KEYS, 'ordering']

export function one(value: LocationQuery[string] | undefined): string {
  return Array.isArray(value) ? String(value[0] ?? '') : String(value ?? '')
}

/** `fixed`: filters the page sets itself (a project tab's project), never read from or
 * written to the URL, and left out of saved filters. */
export function useFindingsQuery(fixed: Query = {}) {
  const route = useRoute()
  const router = useRouter()

  /** The filters as the URL holds them (without the defaults). */
  const values = computed<Record<string, string>>(() =>
    Object.fromEntries(FILTER_KEYS.filter((key) => !(key in fixed)).map((key) => [key, one(route.query[key])])),
  )
  /** The filters as the API takes them. */
  const filters = computed<Query>(() => {
    const out: Query = {}
    for (const [key, value] of Object.entries(values.value)) if (value) out[key] = value
    out.state = values.value.state || DEFAULT_STATE
    if (out.state === 'all') delete out.state
    return { ...out, ...fixed }
  })

  /** Change the URL's query; anything but a move between pages starts from the first page (a
   * cursor belongs to one filter and sort). `page`: a page number of links from before cursors. */
  function update(changes: Record<string, string | undefined>, resetPage = true): void {
    const query: Record<string, string> = {}
    for (const [key, value] of Object.entries({ ...route.query, ...changes })) {
      const text = one(value as LocationQuery[string])
      if (text) query[key] = text
    }
    if (query.state === DEFAULT_STATE) delete query.state
    delete query.page
    if (resetPage) delete query.cursor
    void router.replace({ query })
  }
  const cursor = computed({
    get: () => one(route.query.cursor) || undefined,
    set: (value: string | undefined) => update({ cursor: value }, false),
  })
  const pageSize = computed({
    get: () => Number(one(route.query.page_size)) || 25,
    set: (value: number) => update({ page_size: value !== 25 ? String(value) : undefined }),
  })
  const ordering = computed({
    get: () => one(route.query.ordering) || DEFAULT_ORDERING,
    set: (value: string) => update({ ordering: value !== DEFAULT_ORDERING ? value : undefined }),
  })

  /** Grouped by issue (the default) or every finding: `view=flat` in the URL. */
  const grouped = computed({
    get: () => one(route.query.view) !== 'flat',
    set: (value: boolean) => update({ view: value ? undefined : 'flat' }),
  })

  /** Every filter and the sort back to the defaults; other query keys (a tab) stay. */
  function clear(): void {
    update(Object.fromEntries([...SAVED_KEYS, 'cursor'].map((key) => [key, undefined])))
  }
  /** The current filters and sort as a query string, for saving under a name. */
  const savedQuery = computed(() => {
    const params = new URLSearchParams()
    for (const key of SAVED_KEYS) {
      const value = one(route.query[key])
      if (value && !(key in fixed)) params.set(key, value)
    }
    return params.toString()
  })
  /** Show a saved query string: its filters and sort replace the current ones. */
  function applySaved(query: string): void {
    const params = new URLSearchParams(query)
    const changes: Record<string, string | undefined> = Object.fromEntries(SAVED_KEYS.map((key) => [key, undefined]))
    for (const key of SAVED_KEYS) if (params.get(key) && !(key in fixed)) changes[key] = params.get(key) ?? undefined
    update(changes)
  }

  return { values, filters, update, clear, cursor, pageSize, ordering, grouped, savedQuery, applySaved }
}
