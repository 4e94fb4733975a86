import { describe, expect, test } from 'vitest';
import { CliError } from '../cli-error.js';
import { parseQueueUrl, scrub } from './queue-url.js';

describe('parseQueueUrl', () => {
  test('shows the URL without its password, whatever the form', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6379').shown).toBe('redis://127.0.0.1:6379');
    expect(parseQueueUrl('redis://:pw@127.0.0.1:6379/2').shown).toBe('redis://:***@127.0.0.1:6379/2');
    expect(parseQueueUrl('rediss://alice:pw@redis.example:6380')).toMatchObject({
      shown: 'rediss://alice:***@redis.example:6380',
      tls: true,
    });
  });

  test('scrubs the password, raw and percent-encoded, and the whole URL from any message', () => {
    const queue = parseQueueUrl('redis://:p%40ss%2Fw0rd@h:1');
    expect(scrub('AUTH p@ss/w0rd failed at redis://:p%40ss%2Fw0rd@h:1', queue)).toBe('AUTH *** failed at redis://:***@h:1');
  });

  test.each([
    ['http://h:1', /^--queue http:\/\/h:1: expected redis:\/\//],
    ['redis://:secret@h:1/db', /^--queue redis:\/\/:\*\*\*@h:1\/db: the path must be a database number/],
    ['redis://h:1?tls=true', /no query or fragment/],
    ['secret@h', /^--queue \*\*\*@h: not a URL/],
  ])('refuses %s with one line that keeps the password out', (url, message) => {
    const error = (() => {
      try {
        parseQueueUrl(url);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(message);
    expect((error as CliError).message).not.toContain('secret');
  });
});
