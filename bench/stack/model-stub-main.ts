import { parseArgs } from 'node:util';
import { serveModelStub } from './model-stub';

/** The model stub as a process of its own, like the model server it stands for. */
const { values } = parseArgs({
  options: { port: { type: 'string' }, latency: { type: 'string' }, answer: { type: 'string' } },
});
const server = await serveModelStub(Number(values.port), Number(values.latency), values.answer);
process.stdout.write(`ready ${server.baseUrl}\n`);
const stop = () => void server.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
