// A fake Alpha Vantage on loopback for trying the ETL (and benchmarking it) without the real
// service: every symbol gets `--days` synthetic weekday bars (weekly and monthly series aggregated
// from them, quarterly dividends, no splits); `--tier free` (the default) refuses what the real
// service refuses a free key (outputsize=full, the premium endpoints). Prints its URL and serves until killed.
//   node --import tsx scripts/fake-alpha-vantage.ts [--days 5000] [--key KEY] [--tier free|premium]
import { parseArgs } from 'node:util';
import { startFakeAlphaVantage } from '../test/helpers/fake-alpha-vantage.ts';

const { values } = parseArgs({
  options: { days: { type: 'string', default: '5000' }, key: { type: 'string' }, tier: { type: 'string', default: 'free' }, end: { type: 'string' } },
});
if (values.tier !== 'free' && values.tier !== 'premium') {
  console.error('--tier must be free or premium');
  process.exit(2);
}
const fake = await startFakeAlphaVantage({ key: values.key, tier: values.tier, fallback: { synthetic: Number(values.days), end: values.end } });
console.log(fake.url);
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
