// The official graphql-sse client against a running okrql: a query, then a subscription's
// first event. Prints one JSON line per step, for tests/api/test_sse_client.py to follow.
import { createClient } from 'graphql-sse';

const [url, organization, keyResultId, mode] = process.argv.slice(2);
const client = createClient({
  url,
  singleConnection: mode === 'single',
  headers: { 'x-organization': organization },
  retryAttempts: 0,
});
const say = (line) => console.log(JSON.stringify(line));

for await (const result of client.iterate({ query: '{ cycles(first: 5) { totalCount } }' })) {
  say({ query: result });
}
const subscription = client.iterate({
  query: `subscription ($filter: SubscriptionFilter) {
    checkInCreated(filter: $filter) { checkIn { value } } }`,
  variables: { filter: { keyResultId } },
});
const first = subscription.next();
say({ subscribing: true });
say({ event: (await first).value });
await subscription.return();
client.dispose();
