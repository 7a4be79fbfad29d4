/**
 * A MUSE file that cannot be evaluated: the message names the file, the record, the field and
 * what was expected, so the user can fix the data without reading a stack trace.
 */
export class MuseFormatError extends Error {
  override readonly name = "MuseFormatError";
}
