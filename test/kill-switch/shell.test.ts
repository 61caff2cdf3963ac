/** shellQuote and jsonWord, checked by the real bash reading the words back. */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { jsonWord } from '../../constructs/kill-switch/plan';
import { renderWord } from '../../constructs/kill-switch/script';
import { shellQuote } from '../../lib/shell';

/** What bash makes of a line of words: each resulting argument, NUL-terminated. */
function bashWords(line: string, env: Record<string, string> = {}): string[] {
  const run = spawnSync('bash', ['-c', `printf '%s\\0' ${line}`], {
    // Not a socket on standard input: with one and no SHLVL, bash would read the machine's ~/.bashrc.
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  expect(run.status).toBe(0);
  return run.stdout.split('\0').slice(0, -1);
}

const HOSTILE = [
  '',
  ' ',
  "'",
  "it's",
  "''\\''",
  '$(touch /tmp/agentguard-pwned)',
  '`id`',
  '${HOME}',
  '"double"',
  'a\nb',
  'tab\there',
  '* ? [a-z] ~ !',
  'X=1',
  '-n',
  '\\',
  'ünïcødé ✓',
];

describe('shellQuote', () => {
  it('every hostile value reads back as exactly one word, unchanged', () => {
    expect(bashWords(HOSTILE.map(shellQuote).join(' '))).toEqual(HOSTILE);
  });

  it('random strings read back unchanged (fast-check, 40 runs of up to 25 strings, one bash each)', () => {
    const value = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 25 }), (values) => {
        expect(bashWords(values.map(shellQuote).join(' '))).toEqual(values);
      }),
      { numRuns: 40 },
    );
  });

  it('leaves plain words bare and never lets a word become an assignment', () => {
    expect(shellQuote('agentguard.dev/agent')).toBe('agentguard.dev/agent');
    expect(shellQuote('X=1')).toBe("'X=1'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('refuses NUL, which no shell word can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow('cannot hold a NUL');
  });
});

describe('jsonWord', () => {
  it('is JSON.stringify of the literal parts, with runtime JSON spliced into one word', () => {
    const word = jsonWord({
      spec: {
        parameters: { agents: { "sa:it's": { engagedBy: { json: 'ENGAGED_BY_JSON' }, n: [1, true, null] } } },
      },
    });
    const [value] = bashWords(renderWord(word), {});
    expect(value).toBe('{"spec":{"parameters":{"agents":{"sa:it\'s":{"engagedBy":,"n":[1,true,null]}}}}}');
    const withVar = spawnSync('bash', ['-c', `ENGAGED_BY_JSON='"x\\"y"'; printf '%s' ${renderWord(word)}`], {
      encoding: 'utf8',
    });
    expect(JSON.parse(withVar.stdout)).toEqual({
      spec: { parameters: { agents: { "sa:it's": { engagedBy: 'x"y', n: [1, true, null] } } } },
    });
  });
});
