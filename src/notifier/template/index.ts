/**
 * Message templates for receivers: a configured field (Slack title/text, e-mail subject/body, …)
 * is compiled once at config load; rendering falls back to the built-in default when the field
 * is not set. A template that fails at render time (it passed the load-time check with sample
 * data, but real data differs) is logged and replaced by the default, so a message is never lost
 * to a template mistake.
 */
import type { Logger } from '../../shared/logger.js'
import type { TemplateData } from './data.js'
import { DEFAULT_TEMPLATES } from './defaults.js'
import { Template, type RenderOptions } from '../../shared/template/render.js'

export { Template, TemplateError, escapeHtml, TEMPLATE_FUNCTIONS } from '../../shared/template/render.js'
export { templateData, DEFAULT_MAX_LISTED, type TemplateData, type TemplateAlert } from './data.js'
export { DEFAULT_TEMPLATES } from './defaults.js'

/** Renders `configured`, or the default named `fallback` when it is unset or fails. */
export function renderField (configured: Template | undefined, fallback: keyof typeof DEFAULT_TEMPLATES & string, data: TemplateData, logger?: Logger, o: Omit<RenderOptions, 'named'> = {}): string {
  const def = DEFAULT_TEMPLATES[fallback]
  if (configured === undefined) return def(data)
  try {
    return configured.render(data, { ...o, named: DEFAULT_TEMPLATES })
  } catch (err) {
    logger?.warn({ template: configured.source, err: (err as Error).message, fallback }, 'message template failed; using the default')
    return def(data)
  }
}
