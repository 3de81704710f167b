import type { FieldIssue } from '../domain/input/field-issues';
import { HttpError } from './route';

/**
 * A 400 that names each field at fault (`rule`, `settings.minSamples`, `:id` for a path parameter,
 * `?limit` for a query parameter), answered like a schema refusal: `{ error, issues }`.
 */
export class InvalidRequest extends HttpError {
  constructor(readonly issues: FieldIssue[]) {
    super(400, `invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidRequest';
  }
}
