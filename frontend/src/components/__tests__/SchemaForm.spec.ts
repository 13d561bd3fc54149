// The schema-driven overrides form: one labelled input per property, values emitted without
// empties, errors at their field; and the schema helpers behind it.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import SchemaForm from '@/components/SchemaForm.vue'
import { schemaFields, validateValues, withoutEmpty, type JsonSchema } from '@/utils/jsonSchema'

const BANDIT: JsonSchema = {
  type: 'object',
  properties: {
    severity_level: { enum: ['low', 'medium', 'high'], description: 'Report issues of at least this severity.' },
    skip_tests: { type: 'array', items: { type: 'string', pattern: '^B[0-9]{3}$' }, maxItems: 3 },
    ignore_nosec: { type: 'boolean' },
    rulesets: { type: 'array', items: { enum: ['python', 'secrets'] }, minItems: 1 },
    timeout_per_file: { type: 'integer', minimum: 1, maximum: 600, title: 'Timeout per file' },
    exclude_pattern: { type: 'string', maxLength: 5 },
    extra: { type: 'object', properties: { a: { type: 'string' } } },
  },
  required: ['timeout_per_file'],
}

describe('schemaFields', () => {
  it('chooses an input kind per property', () => {
    const kinds = Object.fromEntries(schemaFields(BANDIT).map((f) => [f.name, f.kind]))
    expect(kinds).toEqual({
      severity_level: 'select',
      skip_tests: 'tags',
      ignore_nosec: 'boolean',
      rulesets: 'multiselect',
      timeout_per_file: 'integer',
      exclude_pattern: 'text',
      extra: 'object',
    })
  })

  it('labels from title or the humanised name, with required and options', () => {
    const fields = Object.fromEntries(schemaFields(BANDIT).map((f) => [f.name, f]))
    expect(fields.severity_level.label).toBe('Severity level')
    expect(fields.timeout_per_file.label).toBe('Timeout per file')
    expect(fields.timeout_per_file.required).toBe(true)
    expect(fields.rulesets.options?.map((o) => o.value)).toEqual(['python', 'secrets'])
  })

  it('handles a missing schema', () => {
    expect(schemaFields(undefined)).toEqual([])
  })
})

describe('validateValues', () => {
  it('checks bounds, lengths, patterns and required fields', () => {
    expect(validateValues(BANDIT, { timeout_per_file: 0 })).toEqual({ timeout_per_file: 'At least 1.' })
    expect(validateValues(BANDIT, { timeout_per_file: 2.5 })).toEqual({ timeout_per_file: 'Enter a whole number.' })
    expect(validateValues(BANDIT, {})).toEqual({ timeout_per_file: 'This field is required.' })
    expect(validateValues(BANDIT, { timeout_per_file: 5, skip_tests: ['B101', 'nope'] })).toEqual({ skip_tests: '"nope" has the wrong form.' })
    expect(validateValues(BANDIT, { timeout_per_file: 5, exclude_pattern: 'toolong' })).toEqual({ exclude_pattern: 'At most 5 characters.' })
    expect(validateValues(BANDIT, { timeout_per_file: 5, rulesets: [] })).toEqual({ rulesets: 'Choose at least 1.' })
    expect(validateValues(BANDIT, { timeout_per_file: 600, severity_level: 'high' })).toEqual({})
  })

  it('drops empty values so the defaults apply', () => {
    expect(withoutEmpty({ a: '', b: [], c: null, d: 0, e: false, f: ['x'] })).toEqual({ d: 0, e: false, f: ['x'] })
  })
})

describe('SchemaForm', () => {
  it('renders a labelled field per property with the description and default as help', () => {
    const wrapper = mount(SchemaForm, {
      props: { schema: BANDIT, modelValue: {}, defaults: { severity_level: 'low' }, idPrefix: 'opt-bandit' },
    })
    const names = wrapper.findAll('[data-field]').map((w) => w.attributes('data-field'))
    expect(names).toEqual(['severity_level', 'skip_tests', 'ignore_nosec', 'rulesets', 'timeout_per_file', 'exclude_pattern', 'extra'])
    const labels = wrapper.findAll('label').map((l) => [l.text(), l.attributes('for')])
    expect(labels).toContainEqual(['Timeout per file *', 'opt-bandit-timeout_per_file'])
    expect(wrapper.find('#opt-bandit-timeout_per_file').exists()).toBe(true)
    expect(wrapper.text()).toContain('Report issues of at least this severity. Default: low.')
  })

  it('emits the value typed into a field, and removes the key when cleared', async () => {
    const wrapper = mount(SchemaForm, { props: { schema: BANDIT, modelValue: { severity_level: 'high' }, idPrefix: 'o' } })

    await wrapper.find('#o-exclude_pattern').setValue('tests')
    const emitted = wrapper.emitted('update:modelValue') as Array<[Record<string, unknown>]>
    expect(emitted.at(-1)?.[0]).toEqual({ severity_level: 'high', exclude_pattern: 'tests' })

    await wrapper.setProps({ modelValue: { exclude_pattern: 'tests' } })
    await wrapper.find('#o-exclude_pattern').setValue('')
    expect((wrapper.emitted('update:modelValue') as Array<[Record<string, unknown>]>).at(-1)?.[0]).toEqual({})
  })

  it('parses JSON fields and flags invalid JSON at the field', async () => {
    const wrapper = mount(SchemaForm, { props: { schema: BANDIT, modelValue: {}, idPrefix: 'o' } })

    await wrapper.find('#o-extra').setValue('{"a": "b"}')
    expect((wrapper.emitted('update:modelValue') as Array<[Record<string, unknown>]>).at(-1)?.[0]).toEqual({ extra: { a: 'b' } })

    await wrapper.find('#o-extra').setValue('{oops')
    expect(wrapper.find('[data-field="extra"]').text()).toContain('Not valid JSON yet.')
  })

  it('shows server errors at their field', () => {
    const wrapper = mount(SchemaForm, {
      props: { schema: BANDIT, modelValue: {}, errors: { timeout_per_file: 'Must be at most 600.' } },
    })
    expect(wrapper.find('[data-field="timeout_per_file"]').text()).toContain('Must be at most 600.')
  })

  it('says so when a tool has no options', () => {
    const wrapper = mount(SchemaForm, { props: { schema: { type: 'object' }, modelValue: {} } })
    expect(wrapper.text()).toContain('This tool has no options.')
  })
})
