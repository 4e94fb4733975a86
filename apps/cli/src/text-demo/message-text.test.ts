import { describe, expect, it } from 'vitest';
import { htmlText, messageText } from './message-text.js';

const headers = 'From: a@example.com\r\nReceived: from mail.example.com\r\nSubject: Cheap offer\r\n';

describe('messageText', () => {
  it('keeps the subject and body, never the other headers', async () => {
    const text = await messageText(`${headers}\r\nHello   there,\r\nfriend.\r\n`);
    expect(text).toBe('Cheap offer Hello there, friend.');
  });

  it('decodes a base64 text part of a multipart message', async () => {
    const body = Buffer.from('Buy now, pay later').toString('base64');
    const raw = `${headers}MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}\r\n--b1--\r\n`;
    expect(await messageText(raw)).toBe('Cheap offer Buy now, pay later');
  });

  it('reads an HTML-only body as its visible text', async () => {
    const raw = `${headers}Content-Type: text/html\r\n\r\n<html><style>p{}</style><p>Win&nbsp;a <b>prize</b> &amp; more</p></html>\r\n`;
    expect(await messageText(raw)).toBe('Cheap offer Win a prize & more');
  });

  it('cuts long messages', async () => {
    expect(await messageText(`${headers}\r\n${'word '.repeat(100)}`, 20)).toBe('Cheap offer word wor');
  });
});

describe('htmlText', () => {
  it('drops scripts and decodes numeric entities', () => {
    expect(htmlText('<script>x()</script>caf&#233;')).toBe(' café');
  });
});
