/*
 * Dataset URIs are copied into proposals, histories and released payloads, so one that
 * carries a secret would spread it everywhere. The original refused only user-info in the
 * authority ("user@host"); we also refuse credential-looking query or fragment parameters
 * (pre-signed S3/GCS URLs, Azure SAS, OAuth tokens, API keys, passwords) and literal AWS
 * access key ids anywhere in the URI.
 */

export type CredentialFinding =
  { kind: 'userinfo' } | { kind: 'parameter'; parameter: string } | { kind: 'access_key_id' };

// Parameter names compared after lower-casing and removing everything but letters and digits,
// so X-Amz-Signature, x_amz_signature and XAmzSignature are one name.
const EXACT_NAMES = new Set([
  'sig',
  'key',
  'pwd',
  'pass',
  'auth',
  'authorization',
  'bearer',
  'jwt',
  'sessionid',
  'awsaccesskeyid',
  'keypairid',
  'googleaccessid',
  'policy',
]);
const NAME_PARTS = [
  'signature',
  'token',
  'secret',
  'password',
  'passwd',
  'credential',
  'apikey',
  'accesskey',
  'privatekey',
  'sessionkey',
  'clientkey',
  'authkey',
  'sharedkey',
];

function normalisedName(name: string): string {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    // an undecodable name is judged as written
  }
  return decoded.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function isCredentialParameter(name: string): boolean {
  const n = normalisedName(name);
  return EXACT_NAMES.has(n) || NAME_PARTS.some((part) => n.includes(part));
}

function authorityOf(uri: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(uri);
  // Without "//" there is no authority in the RFC sense, but "user:pass@host/path" or
  // "user@host:path" (scp style) still hand a user-info to whatever opens them, so the
  // first segment is judged as if it were one.
  const rest = scheme ? uri.slice(scheme[0].length) : uri;
  const end = rest.search(/[/?#]/);
  return end < 0 ? rest : rest.slice(0, end);
}

function parameterNames(uri: string): string[] {
  const names: string[] = [];
  const hash = uri.indexOf('#');
  const beforeHash = hash < 0 ? uri : uri.slice(0, hash);
  const q = beforeHash.indexOf('?');
  const sections = [q < 0 ? '' : beforeHash.slice(q + 1), hash < 0 ? '' : uri.slice(hash + 1)];
  for (const section of sections) {
    for (const pair of section.split(/[&;]/)) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      names.push(eq < 0 ? pair : pair.slice(0, eq));
    }
  }
  return names;
}

const AWS_ACCESS_KEY_ID = /(?:^|[^A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/;

export function findCredentials(uri: string): CredentialFinding | undefined {
  const authority = authorityOf(uri.trim());
  if (authority.includes('@') || /%40/i.test(authority)) {
    return { kind: 'userinfo' };
  }
  const parameter = parameterNames(uri).find(isCredentialParameter);
  if (parameter !== undefined) return { kind: 'parameter', parameter };
  if (AWS_ACCESS_KEY_ID.test(uri)) return { kind: 'access_key_id' };
  return undefined;
}

// The message names where the secret is, never the secret itself.
export function describeCredentialFinding(finding: CredentialFinding): string {
  switch (finding.kind) {
    case 'userinfo':
      return 'dataset_uri must not contain embedded credentials (user-info in the authority)';
    case 'parameter':
      return `dataset_uri must not contain embedded credentials (parameter "${finding.parameter.slice(0, 40)}")`;
    case 'access_key_id':
      return 'dataset_uri must not contain embedded credentials (an access key id)';
  }
}
