// The shop's order worker: consumes order messages from its SQS queue.
// Throwing fails the whole batch, so the messages are retried and, after
// max_receive_count receives, land on the dead-letter queue. Returning
// batchItemFailures would retry only the failed ones.

export const handler = async (event) => {
  const processed = [];
  for (const record of event.Records ?? []) {
    const order = JSON.parse(record.body);
    if (!order.id) {
      throw new Error(`message ${record.messageId} has no order id`);
    }
    processed.push(order.id);
  }
  console.log(JSON.stringify({ processed, table: process.env.TABLE }));
  return { processed: processed.length };
};
