import PostalMime from 'postal-mime';

/**
 * What the demo's model reads of a message: its subject and body as plain text. The headers are
 * left out on purpose: the corpus's groups were collected at different times through different
 * servers, so `Received:` lines and dates would give the class away, and they carry real senders'
 * addresses. MIME parts are decoded (base64, quoted-printable, charsets) by postal-mime; an
 * HTML-only body is reduced to its text.
 */
export async function messageText(raw: string, maxChars = 4000): Promise<string> {
  const email = await PostalMime.parse(raw);
  const body = email.text?.trim() ? email.text : htmlText(email.html ?? '');
  return `${email.subject ?? ''}\n${body}`.replace(/\s+/g, ' ').trim().slice(0, maxChars);
}

/** The visible text of an HTML body: tags, scripts and styles dropped, common entities decoded. */
export function htmlText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&amp;/gi, '&')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)));
}
