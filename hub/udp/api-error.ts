/**
 * An admin request the proxy refuses, with the HTTP status Toxiproxy would use and the field at fault.
 * Serialised as Toxiproxy serialises its errors: `{"error": "...", "status": 400}`.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  constructor(status: number, message: string, field?: string) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'ApiError';
    this.status = status;
    this.field = field;
  }

  toJSON(): { error: string; status: number; field?: string } {
    return this.field === undefined
      ? { error: this.message, status: this.status }
      : { error: this.message, status: this.status, field: this.field };
  }
}
