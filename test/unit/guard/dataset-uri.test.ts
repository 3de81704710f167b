import { describe, expect, it } from 'vitest';
import { describeCredentialFinding, findCredentials, isCredentialParameter } from '../../../domain/guard/dataset-uri';
import { loraRequestSchema } from '../../../domain/guard/proposal-request-schemas';

describe('dataset URI credential detection', () => {
  it.each([
    's3://bucket/set',
    'gs://bucket/path/to/data.parquet',
    'https://datasets.example.com/reviewed/v3.jsonl?version=3&format=jsonl',
    'hf://datasets/org/name@main',
    'file:///data/reviewed.jsonl',
    'https://host/path#section-2',
    'az://container/path?prefix=2026/05',
  ])('accepts %s', (uri) => {
    expect(findCredentials(uri)).toBeUndefined();
  });

  it.each([
    's3://user@bucket/set',
    's3://AKEY:SECRETVALUE@bucket/set',
    'https://user:pass@host/data.jsonl',
    'https://:pass@host/data.jsonl',
    'https://user@host',
    'HTTPS://User:Pw@Host/Path',
    'https://user%40corp:pw@host/x',
    'https://host%40evil/x',
    'user:pass@host/path',
    'git@github.com:org/data.git',
  ])('refuses user-info in %s', (uri) => {
    expect(findCredentials(uri)).toEqual({ kind: 'userinfo' });
  });

  it.each([
    ['https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc', 'X-Amz-Signature'],
    ['https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F20260513', 'X-Amz-Credential'],
    ['https://b.s3.amazonaws.com/k?X-Amz-Security-Token=xyz', 'X-Amz-Security-Token'],
    ['https://b.s3.amazonaws.com/k?AWSAccessKeyId=AK&Expires=1&Signature=s', 'AWSAccessKeyId'],
    ['https://storage.googleapis.com/b/o?X-Goog-Signature=abc', 'X-Goog-Signature'],
    ['https://storage.googleapis.com/b/o?GoogleAccessId=svc&Signature=abc', 'GoogleAccessId'],
    ['https://acct.blob.core.windows.net/c/set?sv=2022-11-02&sp=r&sig=abc%3D', 'sig'],
    ['https://host/data?token=abc', 'token'],
    ['https://host/data?access_token=abc', 'access_token'],
    ['https://host/data?id_token=abc', 'id_token'],
    ['https://host/data?api_key=abc', 'api_key'],
    ['https://host/data?apiKey=abc', 'apiKey'],
    ['https://host/data?api-key=abc', 'api-key'],
    ['https://host/data?key=abc', 'key'],
    ['https://host/data?password=abc', 'password'],
    ['https://host/data?passwd=abc', 'passwd'],
    ['https://host/data?pwd=abc', 'pwd'],
    ['https://host/data?client_secret=abc', 'client_secret'],
    ['https://host/data?auth=abc', 'auth'],
    ['https://host/data?Authorization=Bearer%20x', 'Authorization'],
    ['https://host/data?page=2;secret=abc', 'secret'],
    ['https://host/data#access_token=abc', 'access_token'],
    ['https://host/data?%74oken=abc', '%74oken'],
    ['https://d111.cloudfront.net/x?Policy=p&Key-Pair-Id=K', 'Policy'],
  ])('refuses credential parameter in %s', (uri, parameter) => {
    expect(findCredentials(uri)).toEqual({ kind: 'parameter', parameter });
  });

  it('refuses a literal AWS access key id anywhere', () => {
    expect(findCredentials('s3://bucket/AKIAIOSFODNN7EXAMPLE/set')).toEqual({ kind: 'access_key_id' });
    expect(findCredentials('s3://bucket/ASIAIOSFODNN7EXAMPLE')).toEqual({ kind: 'access_key_id' });
    expect(findCredentials('s3://bucket/AKIA-short')).toBeUndefined();
  });

  it('does not treat innocent parameter names as credentials', () => {
    for (const name of ['version', 'format', 'prefix', 'page', 'keyword', 'monkey', 'sign', 'region']) {
      expect(isCredentialParameter(name), name).toBe(false);
    }
  });

  it('names where the secret is without echoing it', () => {
    const uri = 'https://host/data?token=SUPERSECRETVALUE';
    const message = describeCredentialFinding(findCredentials(uri)!);
    expect(message).toContain('"token"');
    expect(message).not.toContain('SUPERSECRETVALUE');
    const userinfo = describeCredentialFinding(findCredentials('s3://me:SUPERSECRETVALUE@b/x')!);
    expect(userinfo).toContain('user-info');
    expect(userinfo).not.toContain('SUPERSECRETVALUE');
  });

  it('is checked first by the LoRA request schema, and the value never appears in the error', () => {
    const result = loraRequestSchema.safeParse({
      dataset_uri: 'https://u:hunter2@host/set',
      base_model_ref: 'base',
      rollback_id: 'rb-1',
      heldout_score: 0.9,
      baseline_score: 0.8,
    });
    expect(result.success).toBe(false);
    const text = JSON.stringify(result.error?.issues);
    expect(result.error?.issues[0]?.path).toEqual(['dataset_uri']);
    expect(result.error?.issues[0]?.message).toMatch(/embedded credentials/);
    expect(text).not.toContain('hunter2');
  });
});
