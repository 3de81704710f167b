import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { sqlLiteral } from '../../../db/sql-literal';

describe('sqlLiteral', () => {
  it("writes every literal exactly as pg's escapeLiteral does", () => {
    const texts = [
      '',
      'plain',
      "it's",
      "''",
      'back\\slash',
      "both ' and \\ and '\\'",
      JSON.stringify({ detail: 'a "quoted" word', path: 'C:\\tmp', note: "don't" }),
      'unicode ✓ \u0000-free \n newline',
    ];
    for (const text of texts) expect(sqlLiteral(text)).toBe(pg.escapeLiteral(text));
  });
});
