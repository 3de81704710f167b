import { HttpError } from './route';

export interface FieldIssue {
  /** `rule`, `settings.minSamples`, `:id` (a path parameter) or `?limit` (a query parameter). */
  field: string;
  message: string;
}

/** A 400 that names each field at fault, answered like a schema refusal: `{ error, issues }`. */
export class InvalidRequest extends HttpError {
  constructor(readonly issues: FieldIssue[]) {
    super(400, `invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'InvalidRequest';
  }
}
