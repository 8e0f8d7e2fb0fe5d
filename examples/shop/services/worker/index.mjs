// The shop's order worker: consumes order messages ({"id": "...", ...}) from its SQS queue.
// The queue trigger reports batch item failures: a message the worker cannot process (not
// JSON, or no order id) is named in `batchItemFailures`, so only that message is retried and,
// after max_receive_count receives, lands on the dead-letter queue; the others are consumed.
// Throwing would fail, and retry, the whole batch.

export const handler = async (event) => {
  const processed = [];
  const batchItemFailures = [];
  for (const record of event.Records ?? []) {
    const order = parseOrder(record.body);
    if (!order) {
      console.error(`message ${record.messageId} has no order id: retried, then dead-lettered`);
      batchItemFailures.push({ itemIdentifier: record.messageId });
      continue;
    }
    processed.push(order.id);
  }
  console.log(JSON.stringify({ processed, table: process.env.TABLE }));
  if (batchItemFailures.length > 0) {
    return { batchItemFailures };
  }
  return { processed: processed.length };
};

function parseOrder(body) {
  try {
    const order = JSON.parse(body);
    return order && typeof order === "object" && order.id ? order : null;
  } catch {
    return null;
  }
}
