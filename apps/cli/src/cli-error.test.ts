import { CheckpointError, DataError, HeadstartError } from '@headstart/core';
import { describe, expect, test } from 'vitest';
import { classify, CliError, EXIT, oneLine } from './cli-error.js';

describe('classify', () => {
  test('bad input and usage: exit 2, one line, no stack, even when a quoted library message spans lines', () => {
    expect(classify(new CheckpointError('m.safetensors', 'header is not valid JSON'))).toEqual({
      message: 'm.safetensors: header is not valid JSON',
      exitCode: EXIT.usage,
      stack: false,
    });
    expect(classify(new DataError('d.csv', 'not valid CSV: Quote Not Closed\n  at line 3', { line: 3 }))).toEqual({
      message: 'd.csv, line 3: not valid CSV: Quote Not Closed at line 3',
      exitCode: 2,
      stack: false,
    });
    expect(classify(new CliError('--set lr: expected key=value'))).toMatchObject({ exitCode: 2, stack: false });
  });

  test('an interruption exits 130 without a stack; anything else is a bug: exit 1 with the stack', () => {
    expect(classify(new HeadstartError('INTERRUPTED', 'interrupted; resume with --resume'))).toMatchObject({
      exitCode: EXIT.interrupted,
      stack: false,
    });
    expect(classify(new TypeError('x is undefined'))).toEqual({ message: 'x is undefined', exitCode: EXIT.failure, stack: true });
    expect(classify(new HeadstartError('PLUGIN_ERROR', '[x] load: boom'))).toMatchObject({ exitCode: 1, stack: true });
  });
});

test('oneLine joins lines with single spaces and trims', () => {
  expect(oneLine("unknown option '--epoch'\n(Did you mean --epochs?)\n")).toBe("unknown option '--epoch' (Did you mean --epochs?)");
  expect(oneLine('a\r\n\r\n   b')).toBe('a b');
  expect(oneLine('already one line')).toBe('already one line');
});
