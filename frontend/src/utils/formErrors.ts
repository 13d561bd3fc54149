// Bring a form's first error into view: a long form's error at its top is useless to someone
// who pressed Save at its bottom.
import { nextTick } from 'vue'

const FIELD_ERROR = '.n-form-item-feedback--error, .error-text'
const ANY_ERROR = `${FIELD_ERROR}, [role="alert"]`
const FOCUSABLE = 'input:not([type="hidden"]):not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])'

/** After the next render, scroll the first field error under `root` (or, with none, the first
 * alert) to the middle of the screen and focus its field's input. Returns whether one was found. */
export async function scrollToFirstError(root: HTMLElement | null | undefined): Promise<boolean> {
  await nextTick()
  if (!root) return false
  const error = root.querySelector<HTMLElement>(FIELD_ERROR) ?? root.querySelector<HTMLElement>(ANY_ERROR)
  if (!error) return false
  const item = error.closest<HTMLElement>('.n-form-item') ?? error.parentElement ?? error
  item.scrollIntoView({ block: 'center' })
  const input = item.querySelector<HTMLElement>(FOCUSABLE)
  if (input) input.focus({ preventScroll: true })
  else {
    if (!error.hasAttribute('tabindex')) error.setAttribute('tabindex', '-1')
    error.focus({ preventScroll: true })
  }
  return true
}
