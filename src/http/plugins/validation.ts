// Request validation. Two ajv instances: query strings and path parameters arrive as text and are
// coerced ("20" → 20, one `ticker` → [ticker]); JSON bodies are taken as sent ("123" is not an
// integer). All errors are collected so a 422 names every bad field at once.
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { parsePrice } from '../../model/bar.ts';
import type { FieldError } from '../../model/bar.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv, formats: string[]) => Ajv;

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allowUnionTypes: true,
    verbose: true, // errors carry their schema, so `x-message` can word them
  });
  addFormats(ajv, ['date', 'date-time']);
  // A price: a JSON number or a decimal string, replaced by its canonical decimal string.
  ajv.addKeyword({
    keyword: 'x-price',
    type: ['number', 'string'],
    modifying: true,
    errors: true,
    validate: function xPrice(this: unknown, _schema: unknown, data: unknown, _parent: unknown, cxt?: { parentData: Record<string | number, unknown>; parentDataProperty: string | number }) {
      const parsed = parsePrice(data);
      if (!parsed.ok) {
        (xPrice as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: 'x-price', message: parsed.message, params: {} }];
        return false;
      }
      if (cxt) cxt.parentData[cxt.parentDataProperty] = parsed.value;
      return true;
    },
  });
  ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' });
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv.compile(schema) : finiteOnly(textAjv.compile(schema))) as ReturnType<FastifySchemaCompiler<object>>;

type Validate = ((data: unknown) => boolean) & { errors?: Partial<ErrorObject>[] | null };

/**
 * ajv coerces the text "1e309" or "-Infinity" to ±Infinity for an integer and then skips minimum
 * and maximum, so `?page=-1e309` would reach the database. Coerced parts (query, path) are flat:
 * their values, and the items of their arrays, must be finite.
 */
function finiteOnly(validate: Validate): Validate {
  const wrapped: Validate = (data) => {
    const ok = validate(data);
    wrapped.errors = validate.errors;
    if (!ok || data === null || typeof data !== 'object') return ok;
    const bad = Object.entries(data).filter(([, v]) => [v].flat().some((x) => typeof x === 'number' && !Number.isFinite(x)));
    if (!bad.length) return true;
    wrapped.errors = bad.map(([key]) => ({ instancePath: `/${key}`, keyword: 'finite', params: {}, message: 'must be a finite number' }));
    return false;
  };
  return wrapped;
}

/** ajv errors → `[{field, message}]`, one entry per field and message. */
export function fieldErrors(errors: Partial<ErrorObject>[]): FieldError[] {
  const out = new Map<string, FieldError>();
  for (const e of errors) {
    // anyOf/oneOf summaries repeat what their branches said
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'if') continue;
    const path = (e.instancePath ?? '').split('/').filter(Boolean).filter((seg) => !/^\d+$/.test(seg));
    const params = (e.params ?? {}) as Record<string, unknown>;
    let field = path.join('.');
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      field = [...path, params.missingProperty].join('.');
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      field = [...path, params.additionalProperty].join('.');
      message = 'is not a known field';
    } else if (e.keyword === 'type') {
      message = `must be ${String(params.type).split(',').join(' or ')}`;
    } else if (e.keyword === 'format' && params.format === 'date') {
      message = 'must be a real calendar date YYYY-MM-DD';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    }
    const custom = (e.parentSchema as { 'x-message'?: string } | undefined)?.['x-message'];
    if (custom && (e.keyword === 'pattern' || e.keyword === 'maxLength' || e.keyword === 'minLength')) message = custom;
    field ||= 'body';
    out.set(`${field}\u0000${message}`, { field, message });
  }
  return [...out.values()];
}
