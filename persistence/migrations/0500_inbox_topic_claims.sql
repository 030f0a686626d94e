-- Claims name their topic (orders/create, orders/updated, products/update,
-- customers/...): with only `inbox_open`, a claim of one topic walked past
-- every open event of the others (a backlog of new orders made each
-- orders/updated claim cost a millisecond). This index leads with the topic.
CREATE INDEX inbox_open_topic ON inbox (topic, id)
  WHERE status IN ('pending', 'processing');
