/** Replaces every occurrence of each secret in `text` with `***`. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue
    out = out.split(secret).join('***')
    const encoded = encodeURIComponent(secret)
    if (encoded !== secret) out = out.split(encoded).join('***')
  }
  return out
}

/** A `redis://user:password@host` URL with the password replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*:)[^@]*@/, '$1***@')
}
