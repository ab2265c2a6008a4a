// A fake Alpha Vantage on loopback for trying the ETL (and benchmarking it) without the real
// service: every symbol gets `--days` synthetic weekday bars; prints its URL and serves until killed.
//   node --import tsx scripts/fake-alpha-vantage.ts [--days 5000] [--key KEY]
import { parseArgs } from 'node:util';
import { startFakeAlphaVantage } from '../test/helpers/fake-alpha-vantage.ts';

const { values } = parseArgs({ options: { days: { type: 'string', default: '5000' }, key: { type: 'string' } } });
const fake = await startFakeAlphaVantage({ key: values.key, fallback: { synthetic: Number(values.days) } });
console.log(fake.url);
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
