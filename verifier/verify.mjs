// The independent check of the portal's signed credentials: Digital Bazaar's reference
// implementation of VC 2.0 + Data Integrity (eddsa-rdfc-2022) + Bitstring Status List.
//
// Reads one JSON request on stdin:
//   {credential, didDocument, statusListCredential?, contexts?, now?}
// and prints one JSON answer on stdout:
//   {verified, errors, status}
// `verified` is true only when the proof verifies, the credential is within its validity
// period and no status bit of it is set; `status` is null (no credentialStatus) or
// {checked, verified, revoked, errors}.
//
// The document loader never touches the network: JSON-LD contexts come from the portal's
// own files (qa_portal/data/contexts) or the npm context packages, the DID (and its
// `did#key` verification methods) from the given DID document, the status list from the
// given credential; any other URL is an error.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {createRequire} from 'node:module';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const portalContexts = join(here, '..', 'qa_portal', 'data', 'contexts');

function portalContext(name) {
  return JSON.parse(readFileSync(join(portalContexts, name), 'utf8'));
}

function packageContext(pkg, file) {
  return JSON.parse(readFileSync(
    join(dirname(require.resolve(`${pkg}/package.json`)), 'contexts', file), 'utf8'));
}

// The same context documents the portal signs with (one source of truth for the VC 2.0
// and OB 3.0 contexts, which the npm packages ship in an older revision or not at all).
const CONTEXTS = new Map([
  ['https://www.w3.org/ns/credentials/v2', portalContext('credentials-v2.jsonld')],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    portalContext('ob-context-3.0.3.json')],
  ['https://w3id.org/security/multikey/v1',
    packageContext('@digitalbazaar/multikey-context', 'multikey-v1.jsonld')],
  ['https://www.w3.org/ns/did/v1', packageContext('did-context', 'did-v1.jsonld')],
  ['https://w3id.org/security/data-integrity/v2',
    packageContext('@digitalbazaar/data-integrity-context', 'data-integrity-v2.jsonld')],
]);

function makeDocumentLoader({didDocument, statusListCredential, contexts = {}}) {
  const extra = new Map(Object.entries(contexts));
  return async url => {
    const answer = document => ({contextUrl: null, documentUrl: url, document});
    if(CONTEXTS.has(url)) {
      return answer(structuredClone(CONTEXTS.get(url)));
    }
    if(extra.has(url)) {
      return answer(structuredClone(extra.get(url)));
    }
    if(didDocument && url.startsWith('did:')) {
      const [did, fragment] = url.split('#');
      if(did !== didDocument.id) {
        throw new Error(`Unknown DID ${did} (only ${didDocument.id} is given).`);
      }
      if(fragment === undefined) {
        return answer(structuredClone(didDocument));
      }
      const method = (didDocument.verificationMethod || []).find(
        m => m.id === url || m.id === `#${fragment}`);
      if(!method) {
        throw new Error(`Verification method ${url} is not in the DID document.`);
      }
      return answer({
        '@context': 'https://w3id.org/security/multikey/v1',
        ...structuredClone(method),
        id: url,
      });
    }
    if(statusListCredential && url === statusListCredential.id) {
      return answer(structuredClone(statusListCredential));
    }
    throw new Error(`Refusing to load ${url}: not a local context, DID or status list.`);
  };
}

function messages(error) {
  if(!error) {
    return [];
  }
  const list = Array.isArray(error) ? error : [error];
  return list.flatMap(e => {
    const inner = e.errors ? messages(e.errors) : [];
    const cause = e.cause ? messages(e.cause) : [];
    return [e.message || String(e), ...inner, ...cause];
  });
}

function statusOf(result) {
  if(!result.statusResult) {
    return null;
  }
  const {verified, results = [], error} = result.statusResult;
  return {
    checked: true,
    verified: verified === true,
    revoked: results.some(r => r.status === true),
    errors: messages(error),
  };
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const documentLoader = makeDocumentLoader(request);
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
  let result;
  try {
    result = await vc.verifyCredential({
      credential: request.credential,
      suite,
      documentLoader,
      checkStatus,
      ...(request.now ? {now: request.now} : {}),
    });
  } catch(error) {
    result = {verified: false, error};
  }
  const status = statusOf(result);
  const errors = messages(result.error);
  if(status) {
    errors.push(...status.errors);
  }
  const revoked = status !== null && status.revoked;
  if(revoked) {
    errors.push('The credential is revoked (its status list bit is set).');
  }
  const answer = {verified: result.verified === true && !revoked, errors, status};
  process.stdout.write(JSON.stringify(answer) + '\n');
}

main().catch(error => {
  process.stdout.write(JSON.stringify(
    {verified: false, errors: messages(error), status: null}) + '\n');
  process.exitCode = 2;
});
