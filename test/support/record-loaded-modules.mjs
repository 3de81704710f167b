// `node --import ./record-loaded-modules.mjs …`: appends the URL of every module the process
// resolves (ESM imports, and the CommonJS files they load) to the file MODULE_LOG names.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const log = process.env.MODULE_LOG;
if (log) {
  register(new URL('./record-loaded-modules-hooks.mjs', import.meta.url), { data: { log } });
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    appendFileSync(log, `${Module._resolveFilename(request, parent, isMain)}\n`);
    return load.apply(this, arguments);
  };
}
