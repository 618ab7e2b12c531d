/** A service URL fit for messages and logs: its password replaced; an unparsable one is not echoed (it may hold a password). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
